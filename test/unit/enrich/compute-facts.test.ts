import { describe, expect, it } from 'vitest';
import { computeFacts } from '../../../src/enrich/compute-facts.js';
import type { FactInput } from '../../../src/kernel/facts.js';
import { loadShippedTenant } from '../../support/load-shipped-tenant.js';

const acme = loadShippedTenant('acme');
const now = Date.parse('2026-01-01T00:00:00Z');

function completed(reportUrl: string | null): FactInput {
  return {
    event: { type: 'assessmentCompleted', id: 'completed:inv-1', triggeredAt: now },
    now,
    stage: { id: 'stage-1', name: 'Technical Screen', fromName: null },
    candidate: {
      opportunityId: 'opp-1',
      name: 'Ada',
      email: 'ada@example.com',
      tags: [],
      archived: false,
      postingTitle: null,
      postingNote: null,
      profileUrl: null,
    },
    invitations: [],
    assessment: {
      invitationId: 'inv-1',
      test: 'Backend - Python',
      status: 'completed',
      score: 70,
      reportUrl,
    },
  };
}

describe('computeFacts: the report link', () => {
  it('has a report link when the vendor gave one', () => {
    expect(computeFacts(acme, completed('https://r.example/1')).assessment).toMatchObject({
      reportUrl: 'https://r.example/1',
    });
  });

  it.each([null, '', '   '])('has none when the vendor gave %j, so no rule writes an empty link', (url) => {
    expect(computeFacts(acme, completed(url)).assessment).toMatchObject({
      reportUrl: null,
    });
  });
});
