import { describe, expect, it } from 'vitest';
import { measureLeverCalls } from '../../bench/lever-calls.bench.js';

describe('Lever calls per invitation and per result (the lever-calls bench)', () => {
  it('an invitation: read, addTags, one stage list for all; a result: link, note, addTags, removeTags', async () => {
    const { invitation, result } = await measureLeverCalls();
    // Twenty candidates arriving together share one listStages (the cache's fetch is joined).
    expect(invitation.byCall).toBe(
      'GET /opportunities/:id ×1, GET /stages ×0.05, POST /opportunities/:id/addTags ×1',
    );
    expect(invitation.perCandidate).toBeCloseTo(2.05);
    // No read: the standard pack decides a result without a candidate fact.
    expect(result.byCall.split(', ').sort()).toEqual([
      'POST /opportunities/:id/addLinks ×1',
      'POST /opportunities/:id/addTags ×1',
      'POST /opportunities/:id/notes ×1',
      'POST /opportunities/:id/removeTags ×1',
    ]);
    expect(result.perCandidate).toBe(4);
  });
});
