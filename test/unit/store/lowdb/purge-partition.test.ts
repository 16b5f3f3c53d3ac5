import { describe, expect, it } from 'vitest';
import { createEmptyPartition } from '../../../../src/store/lowdb/partition.js';
import { purgePartition } from '../../../../src/store/lowdb/purge-partition.js';
import type { ActionRecord } from '../../../../src/store/types.js';

const email = 'ada@example.com';

function action(id: string, opportunityId: string | null, status: ActionRecord['status']): ActionRecord {
  return {
    id: `${id}:0`,
    tenant: 'acme',
    opportunityId,
    decisionId: id,
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

describe('purgePartition', () => {
  it("replaces the opportunity's payloads, keeps other candidates, and leaves a tombstone", () => {
    const data = createEmptyPartition('acme');
    for (const opportunityId of ['opp-1', 'opp-2']) {
      data.inbox.push({
        id: `inb-${opportunityId}`,
        tenant: 'acme',
        token: opportunityId,
        event: 'candidateStageChange',
        triggeredAt: 0,
        receivedAt: 0,
        opportunityId,
        payload: { email },
        status: 'done',
      });
      data.invitations.push({
        id: `inv-${opportunityId}`,
        tenant: 'acme',
        opportunityId,
        test: 'Backend - Python',
        providerTestId: 't-101',
        status: 'completed',
        candidate: { name: 'Ada', email },
        score: 91,
        reportUrl: 'https://vendor.example/r/1',
        createdAt: 0,
        updatedAt: 0,
      });
    }
    // A decision without an opportunity id is still found through its inbox item.
    data.decisions.push({
      id: 'd-1',
      tenant: 'acme',
      opportunityId: null,
      inboxId: 'inb-opp-1',
      createdAt: 0,
      decision: { facts: { email } },
    });
    data.actions.push(action('d-1', null, 'done'), action('d-pending', 'opp-1', 'pending'));

    const tombstone = purgePartition(data, 'opp-1', 1234);

    expect(tombstone).toEqual({ tenant: 'acme', opportunityId: 'opp-1', purgedAt: 1234 });
    expect(data.tombstones['opp-1']).toEqual(tombstone);
    expect(data.inbox.map((item) => item.payload)).toEqual([{ purged: true }, { email }]);
    expect(data.decisions[0]?.decision).toEqual({ purged: true });
    expect(data.actions[0]).toMatchObject({ action: { purged: true }, status: 'done' });
    expect(data.actions[0]).not.toHaveProperty('result');
    expect(data.actions[0]).not.toHaveProperty('lastError');
    // A pending action may be what finishes the erasure; it keeps its arguments until it finishes.
    expect(data.actions[1]?.action).toEqual({ type: 'lever.addNote', text: `Sent to ${email}` });
    expect(data.invitations[0]).toEqual(expect.not.objectContaining({ candidate: expect.anything() }));
    expect(data.invitations[0]).toMatchObject({ score: 91, status: 'completed' });
    expect(data.invitations[0]).not.toHaveProperty('reportUrl');
    expect(data.invitations[1]?.candidate).toEqual({ name: 'Ada', email });
  });
});
