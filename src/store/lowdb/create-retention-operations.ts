import { copyJson } from '../records.js';
import type { PruneReport, Store } from '../types.js';
import { prunePartition } from './prune-partition.js';
import { purgePartition } from './purge-partition.js';
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
