import { describe, expect, it } from 'vitest';
import { createInboxItem } from '../../../src/store/create-inbox-item.js';

describe('createInboxItem', () => {
  it('makes a pending item under a new id, received now, with the payload as JSON keeps it', () => {
    const input = {
      tenant: 'acme',
      token: 'tok',
      event: 'candidateStageChange',
      triggeredAt: 1,
      opportunityId: 'opp-1',
      payload: { at: new Date(0), missing: undefined },
    };
    const item = createInboxItem(input, 5);
    expect(item).toEqual({
      id: expect.stringMatching(/^inb_/),
      tenant: 'acme',
      token: 'tok',
      event: 'candidateStageChange',
      triggeredAt: 1,
      receivedAt: 5,
      opportunityId: 'opp-1',
      payload: { at: '1970-01-01T00:00:00.000Z' },
      status: 'pending',
    });
    expect(createInboxItem(input, 5).id).not.toBe(item.id);
  });

  it('stores a missing payload as null', () => {
    const item = createInboxItem(
      { tenant: 'acme', token: 'tok', event: 'e', triggeredAt: 1, opportunityId: null, payload: undefined },
      5,
    );
    expect(item.payload).toBeNull();
  });
});
