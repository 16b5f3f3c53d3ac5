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
import { type PostgresContext, readRecords, replaceRecord, type Sql } from './postgres-context.js';

type RetentionOperations = Pick<Store, 'purgeCandidate' | 'getTombstone' | 'prune'>;

// The opportunity's decisions: its own, and those of its inbox items (a decision may have no opportunity id).
// $1 is the tenant, $2 the opportunity.
const purgedDecisions = `SELECT id FROM decisions WHERE tenant = $1 AND (opportunity_id = $2
  OR inbox_id IN (SELECT id FROM inbox WHERE tenant = $1 AND opportunity_id = $2))`;

// A decision stays while one of its actions is not done (for the executor and an operator), or while
// it is young ($1 is the decisions' cutoff).
const keptDecision = (
  column: string,
) => `(${column} IN (SELECT decision_id FROM actions WHERE status <> 'done')
  OR ${column} IN (SELECT id FROM decisions WHERE created_at >= $1))`;

const pruned = {
  decisions: `SELECT id FROM decisions WHERE NOT ${keptDecision('id')} ORDER BY seq`,
  actions: `SELECT id FROM actions WHERE NOT ${keptDecision('decision_id')} ORDER BY seq`,
  // An inbox item also stays while its dedupe token lives, so a duplicate can answer with it ($2).
  inbox: `SELECT id FROM inbox WHERE status <> 'pending' AND received_at < $2
    AND (decision_id IS NULL OR NOT ${keptDecision('decision_id')}) ORDER BY seq`,
} as const;

const rateBucketIdleMs = 24 * 3600 * 1000;

/** What the store keeps, and for how long: erasure on request, and age-based pruning (as the other backends). */
export function createRetentionOperations(context: PostgresContext): RetentionOperations {
  async function selectRecords<T>(sql: Sql, text: string, params: unknown[]): Promise<T[]> {
    return (await sql.rows<{ record: T }>(text, params)).map((row) => row.record);
  }

  return {
    async purgeCandidate(tenant, opportunityId, now) {
      checkTenant(tenant);
      const tombstone = await context.write(async (sql): Promise<Tombstone> => {
        const params = [tenant, opportunityId];
        // Payloads the store does not interpret are replaced whole; see scrubDecision in ../records.ts.
        for (const item of await readRecords<InboxItem, 'inbox'>(sql, 'inbox', {
          tenant,
          opportunity_id: opportunityId,
        })) {
          item.payload = { ...purgedMarker };
          await replaceRecord(sql, 'inbox', item);
        }
        for (const decision of await selectRecords<DecisionRecord>(
          sql,
          `SELECT record FROM decisions WHERE id IN (${purgedDecisions}) ORDER BY seq`,
          params,
        )) {
          scrubDecision(decision);
          await replaceRecord(sql, 'decisions', decision);
        }
        for (const action of await selectRecords<ActionRecord>(
          sql,
          `SELECT record FROM actions WHERE tenant = $1
             AND (opportunity_id = $2 OR decision_id IN (${purgedDecisions})) ORDER BY seq`,
          params,
        )) {
          scrubFinishedAction(action);
          await replaceRecord(sql, 'actions', action);
        }
        for (const invitation of await readRecords<InvitationRecord, 'invitations'>(sql, 'invitations', {
          tenant,
          opportunity_id: opportunityId,
        })) {
          scrubInvitation(invitation);
          await replaceRecord(sql, 'invitations', invitation);
        }
        await sql.run(
          `INSERT INTO tombstones (tenant, opportunity_id, purged_at) VALUES ($1, $2, $3)
           ON CONFLICT (tenant, opportunity_id) DO UPDATE SET purged_at = EXCLUDED.purged_at`,
          [tenant, opportunityId, now],
        );
        return { tenant, opportunityId, purgedAt: now };
      });
      context.log?.info({ tenant, opportunityId }, 'candidate purged');
      return tombstone;
    },

    async getTombstone(tenant, opportunityId) {
      const [row] = await context.read.rows<Tombstone>(
        `SELECT tenant, opportunity_id AS "opportunityId", purged_at AS "purgedAt"
         FROM tombstones WHERE tenant = $1 AND opportunity_id = $2`,
        [tenant, opportunityId],
      );
      return row;
    },

    async prune(now) {
      const { decisionsMs, dedupeMs } = context.retention;
      const decisionCutoff = now - decisionsMs;
      const inboxCutoff = now - Math.max(decisionsMs, dedupeMs);
      return context.write(async (sql): Promise<PruneReport> => {
        const report: PruneReport = { inbox: [], decisions: [], actions: [], dedupeTokens: 0 };
        // Chosen before any is deleted: what a kept decision keeps does not depend on the order.
        for (const table of ['inbox', 'decisions', 'actions'] as const) {
          const params = table === 'inbox' ? [decisionCutoff, inboxCutoff] : [decisionCutoff];
          report[table] = (await sql.rows<{ id: string }>(pruned[table], params)).map((row) => row.id);
        }
        for (const table of ['inbox', 'decisions', 'actions'] as const) {
          await sql.run(`DELETE FROM ${table} WHERE id = ANY($1::text[])`, [report[table]]);
        }
        report.dedupeTokens = await sql.run('DELETE FROM dedupe WHERE at < $1', [now - dedupeMs]);
        // A Lever rate bucket untouched for a day is full again, which is what no row means: the rows
        // of rotated keys and replaced OAuth grants do not pile up.
        await sql.run('DELETE FROM lever_rate_buckets WHERE at < $1', [now - rateBucketIdleMs]);
        return report;
      });
    },
  };
}
