import { describe, expect, it } from 'vitest';
import {
  actionPatchKeys,
  checkInboxOutcome,
  createInboxItem,
  pickPatch,
  scrubFinishedAction,
  scrubInvitation,
} from '../../../src/store/records.js';
import type { ActionRecord, DecisionRecord, InboxItem, InvitationRecord } from '../../../src/store/types.js';

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

describe('pickPatch', () => {
  it('keeps only the allowed keys that have a value: a spread record cannot change tenant or id', () => {
    const patch = { id: 'other', tenant: 'globex', status: 'done', attempts: 2, lastError: undefined };
    expect(pickPatch(patch, actionPatchKeys)).toEqual({ status: 'done', attempts: 2 });
  });

  it('copies what it keeps: the caller changing its patch later changes nothing picked', () => {
    const result = { to: ['a@example.com'] };
    const picked = pickPatch({ result }, actionPatchKeys);
    result.to.push('b@example.com');
    expect(picked).toEqual({ result: { to: ['a@example.com'] } });
  });
});

const email = 'ada@example.com';

function actionIn(status: ActionRecord['status']): ActionRecord {
  return {
    id: 'd-1:0',
    tenant: 'acme',
    opportunityId: 'opp-1',
    decisionId: 'd-1',
    index: 0,
    action: { type: 'lever.addNote', text: `Sent to ${email}` },
    status,
    attempts: 1,
    nextAttemptAt: 0,
    lastError: `rejected ${email}`,
    result: { to: email },
    createdAt: 0,
    updatedAt: 0,
  };
}

describe('scrubFinishedAction', () => {
  it.each(['done', 'failed'] as const)(
    'replaces the arguments of a %s action and drops its result and error',
    (status) => {
      const scrubbed = actionIn(status);
      scrubFinishedAction(scrubbed);
      expect(scrubbed).toEqual({
        ...actionIn(status),
        action: { purged: true },
        result: undefined,
        lastError: undefined,
      });
      expect(JSON.stringify(scrubbed)).not.toContain(email);
    },
  );

  it.each(['pending', 'running'] as const)(
    'leaves a %s action as it is: it may finish the erasure',
    (status) => {
      const kept = actionIn(status);
      scrubFinishedAction(kept);
      expect(kept).toEqual(actionIn(status));
    },
  );
});

describe('scrubInvitation', () => {
  it('drops the candidate and the report link, and keeps the score', () => {
    const invitation: InvitationRecord = {
      id: 'inv-1',
      tenant: 'acme',
      opportunityId: 'opp-1',
      test: 'Backend - Python',
      providerTestId: 't-101',
      status: 'completed',
      candidate: { name: 'Ada', email },
      score: 91,
      reportUrl: 'https://vendor.example/r/1',
      createdAt: 0,
      updatedAt: 0,
    };
    scrubInvitation(invitation);
    expect(invitation).not.toHaveProperty('candidate');
    expect(invitation).not.toHaveProperty('reportUrl');
    expect(invitation).toMatchObject({ score: 91, status: 'completed' });
  });
});
