import {
  checkTenant,
  purgedMarker,
  scrubDecision,
  scrubFinishedAction,
  scrubInvitation,
} from '../records.js';
import type {
  ActionRecord,
  DecisionRecord,
  InboxItem,
  InvitationRecord,
  PruneReport,
  Store,
  Tombstone,
} from '../types.js';
import { readRecords, replaceRecord, type SqliteContext } from './sqlite-context.js';

type RetentionOperations = Pick<Store, 'purgeCandidate' | 'getTombstone' | 'prune'>;

// The opportunity's decisions: its own, and those of its inbox items (a decision may have no opportunity id).
const purgedDecisions = `SELECT id FROM decisions WHERE tenant = :tenant AND (opportunity_id = :opportunityId
  OR inbox_id IN (SELECT id FROM inbox WHERE tenant = :tenant AND opportunity_id = :opportunityId))`;

// A decision stays while one of its actions is not done (for the executor and an operator), or while it is young.
const keptDecision = (
  column: string,
) => `(${column} IN (SELECT decision_id FROM actions WHERE status <> 'done')
  OR ${column} IN (SELECT id FROM decisions WHERE created_at >= :decisionCutoff))`;

const pruned = {
  decisions: `SELECT id FROM decisions WHERE NOT ${keptDecision('id')} ORDER BY seq`,
  actions: `SELECT id FROM actions WHERE NOT ${keptDecision('decision_id')} ORDER BY seq`,
  // An inbox item also stays while its dedupe token lives, so a duplicate can answer with it.
  inbox: `SELECT id FROM inbox WHERE status <> 'pending' AND received_at < :inboxCutoff
    AND (decision_id IS NULL OR NOT ${keptDecision('decision_id')}) ORDER BY seq`,
} as const;

/** What the store keeps, and for how long: erasure on request, and age-based pruning (as the lowdb store). */
export function createRetentionOperations(context: SqliteContext): RetentionOperations {
  function selectRecords<T>(sql: string, params: Record<string, unknown>): T[] {
    return context
      .query(sql)
      .pluck()
      .all(params)
      .map((text) => JSON.parse(text as string) as T);
  }

  return {
    async purgeCandidate(tenant, opportunityId, now) {
      checkTenant(tenant);
      const tombstone = await context.write((tools): Tombstone => {
        const params = { tenant, opportunityId };
        // Payloads the store does not interpret are replaced whole; see scrubDecision in ../records.ts.
        for (const item of readRecords<InboxItem, 'inbox'>(context, 'inbox', {
          tenant,
          opportunity_id: opportunityId,
        })) {
          item.payload = { ...purgedMarker };
          replaceRecord(context, 'inbox', item);
        }
        for (const decision of selectRecords<DecisionRecord>(
          `SELECT record FROM decisions WHERE id IN (${purgedDecisions})`,
          params,
        )) {
          scrubDecision(decision);
          replaceRecord(context, 'decisions', decision);
        }
        for (const action of selectRecords<ActionRecord>(
          `SELECT record FROM actions WHERE tenant = :tenant
             AND (opportunity_id = :opportunityId OR decision_id IN (${purgedDecisions}))`,
          params,
        )) {
          scrubFinishedAction(action);
          replaceRecord(context, 'actions', action);
        }
        for (const invitation of readRecords<InvitationRecord, 'invitations'>(context, 'invitations', {
          tenant,
          opportunity_id: opportunityId,
        })) {
          scrubInvitation(invitation);
          replaceRecord(context, 'invitations', invitation);
        }
        context
          .query('INSERT OR REPLACE INTO tombstones (tenant, opportunity_id, purged_at) VALUES (?, ?, ?)')
          .run(tenant, opportunityId, now);
        // The old page versions, with the personal data, must not stay behind in the WAL.
        tools.truncateWal();
        return { tenant, opportunityId, purgedAt: now };
      });
      context.log?.info({ tenant, opportunityId }, 'candidate purged');
      return tombstone;
    },

    async getTombstone(tenant, opportunityId) {
      const row = context
        .query(
          `SELECT tenant, opportunity_id AS opportunityId, purged_at AS purgedAt
           FROM tombstones WHERE tenant = ? AND opportunity_id = ?`,
        )
        .get(tenant, opportunityId);
      return row as Tombstone | undefined;
    },

    async prune(now) {
      const { decisionsMs, dedupeMs } = context.retention;
      const params = {
        decisionCutoff: now - decisionsMs,
        inboxCutoff: now - Math.max(decisionsMs, dedupeMs),
      };
      return context.write((): PruneReport => {
        const report: PruneReport = { inbox: [], decisions: [], actions: [], dedupeTokens: 0 };
        // Chosen before any is deleted: what a kept decision keeps does not depend on the order.
        for (const table of ['inbox', 'decisions', 'actions'] as const) {
          report[table] = context
            .query(pruned[table])
            .pluck()
            .all(table === 'inbox' ? params : { decisionCutoff: params.decisionCutoff }) as string[];
        }
        for (const table of ['inbox', 'decisions', 'actions'] as const) {
          const remove = context.query(`DELETE FROM ${table} WHERE id = ?`);
          for (const id of report[table]) remove.run(id);
        }
        report.dedupeTokens = context.query('DELETE FROM dedupe WHERE at < ?').run(now - dedupeMs).changes;
        return report;
      });
    },
  };
}
