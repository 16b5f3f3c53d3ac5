import { describe, expect, it } from 'vitest';
import { prunePartition, purgePartition } from '../../../../src/store/lowdb/create-retention-operations.js';
import { createEmptyPartition, type PartitionData } from '../../../../src/store/lowdb/partition.js';
import { defaultRetention } from '../../../../src/store/records.js';
import type { ActionRecord, ActionStatus, InboxStatus } from '../../../../src/store/types.js';

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

const day = 24 * 60 * 60 * 1000;
const now = 100 * day;

function addInbox(
  data: PartitionData,
  id: string,
  receivedAt: number,
  status: InboxStatus,
  decisionId?: string,
) {
  data.inbox.push({
    id,
    tenant: 'acme',
    token: `token-${id}`,
    event: 'candidateStageChange',
    triggeredAt: receivedAt,
    receivedAt,
    opportunityId: 'opp-1',
    payload: {},
    status,
    ...(decisionId === undefined ? {} : { decisionId }),
  });
  data.dedupe[`token-${id}`] = { at: receivedAt, inboxId: id };
}

function addDecision(data: PartitionData, id: string, createdAt: number, actions: ActionStatus[]) {
  data.decisions.push({ id, tenant: 'acme', opportunityId: 'opp-1', inboxId: null, createdAt, decision: {} });
  actions.forEach((status, index) => {
    data.actions.push({
      id: `${id}:${index}`,
      tenant: 'acme',
      opportunityId: 'opp-1',
      decisionId: id,
      index,
      action: { type: 'lever.addTags' },
      status,
      attempts: 1,
      nextAttemptAt: createdAt,
      createdAt,
      updatedAt: createdAt,
    });
  });
}

describe('prunePartition', () => {
  it('drops finished records past the retention and keeps everything else', () => {
    const data = createEmptyPartition('acme');
    addDecision(data, 'old-done', now - 31 * day, ['done', 'done']);
    addDecision(data, 'old-pending', now - 31 * day, ['done', 'pending']);
    addDecision(data, 'old-failed', now - 31 * day, ['failed']);
    addDecision(data, 'recent', now - 29 * day, ['done']);
    addInbox(data, 'inb-old-done', now - 31 * day, 'done', 'old-done');
    addInbox(data, 'inb-old-waiting', now - 31 * day, 'done', 'old-pending');
    addInbox(data, 'inb-old-skipped', now - 31 * day, 'skipped');
    addInbox(data, 'inb-old-pending', now - 31 * day, 'pending');
    addInbox(data, 'inb-recent', now - 29 * day, 'done', 'recent');

    const report = prunePartition(data, now, defaultRetention);

    expect(report).toEqual({
      inbox: ['inb-old-done', 'inb-old-skipped'],
      decisions: ['old-done'],
      actions: ['old-done:0', 'old-done:1'],
      dedupeTokens: 5,
    });
    expect(data.decisions.map((d) => d.id)).toEqual(['old-pending', 'old-failed', 'recent']);
    expect(data.actions.map((a) => a.id)).toEqual([
      'old-pending:0',
      'old-pending:1',
      'old-failed:0',
      'recent:0',
    ]);
    expect(data.inbox.map((i) => i.id)).toEqual(['inb-old-waiting', 'inb-old-pending', 'inb-recent']);
  });

  it('expires dedupe tokens after the replay window but keeps their items while they live', () => {
    const data = createEmptyPartition('acme');
    addInbox(data, 'inb-73h', now - 73 * 60 * 60 * 1000, 'skipped');
    addInbox(data, 'inb-71h', now - 71 * 60 * 60 * 1000, 'skipped');
    const retention = { decisionsMs: 60 * 60 * 1000, dedupeMs: 72 * 60 * 60 * 1000 };

    const report = prunePartition(data, now, retention);

    expect(report).toEqual({ inbox: ['inb-73h'], decisions: [], actions: [], dedupeTokens: 1 });
    expect(Object.keys(data.dedupe)).toEqual(['token-inb-71h']);
  });
});
