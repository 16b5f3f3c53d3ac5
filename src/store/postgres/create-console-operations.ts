import { activityNeedles } from '../records.js';
import type { DecisionRecord, Store } from '../types.js';
import type { PostgresContext } from './postgres-context.js';

type ConsoleOperations = Pick<Store, 'countActivity' | 'recentDecisions'>;

// The week's decisions by created_at (a week is a small slice of a year's retention). Each decision
// is a large record (facts, the trace), so it is searched as text, never parsed: see activityNeedles
// (../records.ts) for what each needle matches. $1 tenant, $2 since, then the needles.
const activityOf = (tags: number) => `SELECT
    count(*) FILTER (WHERE strpos(d.record::text, $3) > 0)::int AS sends,
    count(*) FILTER (WHERE strpos(d.record::text, $4) > 0)::int AS completions
    ${Array.from({ length: tags }, (_, n) => `, count(*) FILTER (WHERE strpos(d.record::text, $${5 + n}) > 0)::int AS tag${n}`).join('')},
    (SELECT count(*) FROM actions WHERE status = 'failed' AND tenant = $1)::int AS dead,
    (SELECT count(*) FROM actions WHERE status = 'failed' AND tenant = $1
      AND record ->> 'failureClass' = 'in-doubt')::int AS in_doubt
  FROM decisions AS d WHERE d.created_at >= $2 AND d.tenant = $1`;

/** The console's reads: a tenant's week in counts, and its newest decisions. */
export function createConsoleOperations(context: PostgresContext): ConsoleOperations {
  return {
    async countActivity(tenant, since, tags) {
      const needles = activityNeedles(tags);
      const params: unknown[] = [tenant, since, needles.send, needles.completed, ...needles.tags];
      const [row] = await context.read.rows<Record<string, number>>(activityOf(tags.length), params);
      return {
        sends: row?.sends ?? 0,
        completions: row?.completions ?? 0,
        tagged: Object.fromEntries(tags.map((tag, n) => [tag, row?.[`tag${n}`] ?? 0])),
        deadLetters: row?.dead ?? 0,
        inDoubt: row?.in_doubt ?? 0,
      };
    },

    async recentDecisions(tenant, limit) {
      const rows = await context.read.rows<{ record: DecisionRecord }>(
        'SELECT record FROM decisions WHERE tenant = $1 ORDER BY created_at DESC, seq DESC LIMIT $2',
        [tenant, limit],
      );
      return rows.map((row) => row.record);
    },
  };
}
