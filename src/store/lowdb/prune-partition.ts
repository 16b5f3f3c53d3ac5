import type { PruneReport, Retention } from '../types.js';
import type { PartitionData } from './partition.js';

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
