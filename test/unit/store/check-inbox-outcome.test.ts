import { describe, expect, it } from 'vitest';
import { checkInboxOutcome } from '../../../src/store/check-inbox-outcome.js';
import type { ActionRecord, DecisionRecord, InboxItem } from '../../../src/store/types.js';

const item: InboxItem = {
  id: 'inb-1',
  tenant: 'acme',
  token: 'tok',
  event: 'candidateStageChange',
  triggeredAt: 0,
  receivedAt: 0,
  opportunityId: 'opp-1',
  payload: {},
  status: 'pending',
};
const decision: DecisionRecord = {
  id: 'd-1',
  tenant: 'acme',
  opportunityId: 'opp-1',
  inboxId: 'inb-1',
  createdAt: 0,
  decision: {},
};

function action(index: number, overrides: Partial<ActionRecord> = {}): ActionRecord {
  return {
    id: `d-1:${index}`,
    tenant: 'acme',
    opportunityId: 'opp-1',
    decisionId: 'd-1',
    index,
    action: {},
    status: 'pending',
    attempts: 0,
    nextAttemptAt: 0,
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

describe('checkInboxOutcome', () => {
  it('accepts a decision and actions that belong to the item', () => {
    expect(() => checkInboxOutcome(item, decision, [action(0), action(1)])).not.toThrow();
  });

  it('lists every mismatch in one INTERNAL error', () => {
    const error = (() => {
      try {
        checkInboxOutcome(item, { ...decision, tenant: 'globex', inboxId: null }, [
          action(0, { id: 'other' }),
          action(1, { tenant: 'globex', decisionId: 'd-2' }),
          action(1),
        ]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'INTERNAL' });
    expect((error as { details: { problems: string[] } }).details.problems).toEqual([
      "the decision's tenant is globex",
      "the decision's inboxId is null",
      'action other is not d-1:0',
      'action d-1:1 has decisionId d-2',
      'action d-1:1 has tenant globex',
      'action d-1:1 appears twice',
    ]);
  });
});
