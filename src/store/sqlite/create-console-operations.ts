import type { DecisionRecord, Store, TenantActivity } from '../types.js';
import type { SqliteContext } from './sqlite-context.js';

type ConsoleOperations = Pick<Store, 'countActivity' | 'recentDecisions'>;

// Each count by an index: invitations by (tenant, opportunity_id, status), decisions by created_at
// (a week is a small slice of a year's retention), failed actions by (status, …). Only the week's
// decisions are opened, and only their actions' tags are read.
const sent = `SELECT count(*) FROM invitations
  WHERE tenant = :tenant AND record ->> '$.createdAt' >= :since`;
const completed = `SELECT record ->> '$.score' FROM invitations
  WHERE tenant = :tenant AND status = 'completed' AND record ->> '$.updatedAt' >= :since`;
const tagged = `SELECT count(*) FROM decisions AS d
  WHERE d.created_at >= :since AND d.tenant = :tenant AND EXISTS (
    SELECT 1 FROM json_each(d.record, '$.decision.actions') AS a, json_each(a.value, '$.tags') AS t
    WHERE a.value ->> '$.type' = 'lever.addTags' AND t.value = :tag)`;
const deadLetters = `SELECT count(*) AS failed,
    coalesce(sum(record ->> '$.failureClass' = 'in-doubt'), 0) AS inDoubt
  FROM actions WHERE status = 'failed' AND tenant = :tenant`;
const recent = 'SELECT record FROM decisions WHERE tenant = ? ORDER BY created_at DESC, seq DESC LIMIT ?';

/** The console's reads: a tenant's week in counts, and its newest decisions. */
export function createConsoleOperations(context: SqliteContext): ConsoleOperations {
  return {
    async countActivity(tenant, since, tag) {
      const scores = context.query(completed).pluck().all({ tenant, since }) as (number | null)[];
      const dead = context.query(deadLetters).get({ tenant }) as { failed: number; inDoubt: number };
      const activity: TenantActivity = {
        sent: context.query(sent).pluck().get({ tenant, since }) as number,
        completedScores: scores.map((score) => (typeof score === 'number' ? score : null)),
        tagged: context.query(tagged).pluck().get({ tenant, since, tag }) as number,
        deadLetters: dead.failed,
        inDoubt: dead.inDoubt,
      };
      return activity;
    },

    async recentDecisions(tenant, limit) {
      const texts = context.query(recent).pluck().all(tenant, limit) as string[];
      return texts.map((text) => JSON.parse(text) as DecisionRecord);
    },
  };
}
