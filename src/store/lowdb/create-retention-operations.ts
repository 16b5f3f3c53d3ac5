import { copyJson, purgedMarker, scrubDecision, scrubFinishedAction, scrubInvitation } from '../records.js';
import type { PruneReport, Retention, Store, Tombstone } from '../types.js';
import type { PartitionData } from './partition.js';
import { readRecord, type StoreContext } from './store-context.js';

type RetentionOperations = Pick<Store, 'purgeCandidate' | 'getTombstone' | 'prune'>;

/** What the store keeps, and for how long: erasure on request, and age-based pruning. */
export function createRetentionOperations(context: StoreContext): RetentionOperations {
  return {
    async purgeCandidate(tenant, opportunityId, now) {
      const partition = context.partitionFor(tenant);
      const tombstone = purgePartition(partition.db.data, opportunityId, now);
      await partition.commit.commit();
      context.log?.info({ tenant, opportunityId }, 'candidate purged');
      return copyJson(tombstone);
    },

    async getTombstone(tenant, opportunityId) {
      return readRecord(context, context.partitions.get(tenant)?.db.data.tombstones[opportunityId]);
    },

    async prune(now) {
      context.assertOpen();
      const total: PruneReport = { inbox: [], decisions: [], actions: [], dedupeTokens: 0 };
      const commits: Promise<void>[] = [];
      for (const partition of context.partitions.values()) {
        const report = prunePartition(partition.db.data, now, context.retention);
        const removed =
          report.inbox.length + report.decisions.length + report.actions.length + report.dedupeTokens;
        if (removed === 0) continue;
        context.index.forget(report);
        total.inbox.push(...report.inbox);
        total.decisions.push(...report.decisions);
        total.actions.push(...report.actions);
        total.dedupeTokens += report.dedupeTokens;
        commits.push(partition.commit.commit());
      }
      await Promise.all(commits);
      return total;
    },
  };
}

/**
 * Removes the candidate's personal data from every record of the opportunity, in memory; the
 * caller commits. Payloads the store does not interpret (inbox payload, the whole decision) are
 * replaced, not searched, since only their producer knows where personal data sits in them.
 * Pending and running actions keep their arguments: they may be what finishes the erasure
 * (cancelling an invitation). The tombstone then keeps the opportunity clean: the store scrubs
 * its actions as they finish and its invitations whenever they are written.
 */
export function purgePartition(data: PartitionData, opportunityId: string, now: number): Tombstone {
  const purgedInbox = new Set<string>();
  for (const item of data.inbox) {
    if (item.opportunityId !== opportunityId) continue;
    item.payload = { ...purgedMarker };
    purgedInbox.add(item.id);
  }
  const purgedDecisions = new Set<string>();
  for (const record of data.decisions) {
    const fromPurgedItem = record.inboxId !== null && purgedInbox.has(record.inboxId);
    if (record.opportunityId !== opportunityId && !fromPurgedItem) continue;
    scrubDecision(record);
    purgedDecisions.add(record.id);
  }
  for (const action of data.actions) {
    if (action.opportunityId === opportunityId || purgedDecisions.has(action.decisionId))
      scrubFinishedAction(action);
  }
  for (const invitation of data.invitations)
    if (invitation.opportunityId === opportunityId) scrubInvitation(invitation);
  const tombstone: Tombstone = { tenant: data.tenant, opportunityId, purgedAt: now };
  data.tombstones[opportunityId] = tombstone;
  return tombstone;
}

/**
 * Drops finished records older than the retention, in memory; the caller commits. A decision goes
 * only with all of its actions done (a pending, running or failed action keeps it, and its inbox
 * item, for the executor and for an operator). An inbox item also stays while its dedupe token
 * lives, so a duplicate can always answer with the first item.
 */
export function prunePartition(data: PartitionData, now: number, retention: Retention): PruneReport {
  const decisionCutoff = now - retention.decisionsMs;
  const inboxCutoff = now - Math.max(retention.decisionsMs, retention.dedupeMs);
  const dedupeCutoff = now - retention.dedupeMs;

  const keptDecisions = new Set<string>();
  for (const action of data.actions) if (action.status !== 'done') keptDecisions.add(action.decisionId);
  for (const decision of data.decisions)
    if (decision.createdAt >= decisionCutoff) keptDecisions.add(decision.id);

  const report: PruneReport = { inbox: [], decisions: [], actions: [], dedupeTokens: 0 };
  data.decisions = data.decisions.filter((decision) =>
    keep(keptDecisions.has(decision.id), decision.id, report.decisions),
  );
  data.actions = data.actions.filter((action) =>
    keep(keptDecisions.has(action.decisionId), action.id, report.actions),
  );
  data.inbox = data.inbox.filter((item) => {
    const finished = item.status !== 'pending' && item.receivedAt < inboxCutoff;
    const decisionKept = item.decisionId !== undefined && keptDecisions.has(item.decisionId);
    return keep(!finished || decisionKept, item.id, report.inbox);
  });
  for (const [token, entry] of Object.entries(data.dedupe)) {
    if (entry.at < dedupeCutoff) {
      delete data.dedupe[token];
      report.dedupeTokens += 1;
    }
  }
  return report;
}

function keep(kept: boolean, id: string, removed: string[]): boolean {
  if (!kept) removed.push(id);
  return kept;
}
