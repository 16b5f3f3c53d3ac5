import { describe, expect, it } from 'vitest';
import { scrubFinishedAction, scrubInvitation } from '../../../src/store/scrub-personal-data.js';
import type { ActionRecord, InvitationRecord } from '../../../src/store/types.js';

const email = 'ada@example.com';

function action(status: ActionRecord['status']): ActionRecord {
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
      const scrubbed = action(status);
      scrubFinishedAction(scrubbed);
      expect(scrubbed).toEqual({
        ...action(status),
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
      const kept = action(status);
      scrubFinishedAction(kept);
      expect(kept).toEqual(action(status));
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
