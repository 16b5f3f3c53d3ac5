import { describe, expect, it } from 'vitest';
import { createEmptyPartition, type PartitionData } from '../../../../src/store/lowdb/partition.js';
import { prunePartition } from '../../../../src/store/lowdb/prune-partition.js';
import { defaultRetention } from '../../../../src/store/records.js';
import type { ActionStatus, InboxStatus } from '../../../../src/store/types.js';

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
