import type { DecisionRecord, Store } from '../types.js';
import type { PostgresContext } from './postgres-context.js';

type ConsoleOperations = Pick<Store, 'countActivity' | 'recentDecisions'>;

// One statement, so one snapshot and one round trip. Each count by an index: invitations by
// (tenant, opportunity_id, status), decisions by created_at (a week is a small slice of a year's
// retention), failed actions by (status, …). $1 tenant, $2 since, $3 the tag.
const activity = `SELECT
  (SELECT count(*) FROM invitations
    WHERE tenant = $1 AND (record ->> 'createdAt')::double precision >= $2)::int AS sent,
  (SELECT coalesce(json_agg((record ->> 'score')::double precision), '[]'::json) FROM invitations
    WHERE tenant = $1 AND status = 'completed'
      AND (record ->> 'updatedAt')::double precision >= $2) AS scores,
  (SELECT count(*) FROM decisions AS d
    WHERE d.created_at >= $2 AND d.tenant = $1 AND EXISTS (
      SELECT 1 FROM json_array_elements(d.record -> 'decision' -> 'actions') AS a(value),
        json_array_elements_text(CASE WHEN json_typeof(a.value -> 'tags') = 'array'
          THEN a.value -> 'tags' ELSE '[]'::json END) AS t(tag)
      WHERE a.value ->> 'type' = 'lever.addTags' AND t.tag = $3))::int AS tagged,
  (SELECT count(*) FROM actions WHERE status = 'failed' AND tenant = $1)::int AS dead,
  (SELECT count(*) FROM actions WHERE status = 'failed' AND tenant = $1
    AND record ->> 'failureClass' = 'in-doubt')::int AS in_doubt`;

interface ActivityRow {
  sent: number;
  scores: (number | null)[];
  tagged: number;
  dead: number;
  in_doubt: number;
}

/** The console's reads: a tenant's week in counts, and its newest decisions. */
export function createConsoleOperations(context: PostgresContext): ConsoleOperations {
  return {
    async countActivity(tenant, since, tag) {
      const [row] = await context.read.rows<ActivityRow>(activity, [tenant, since, tag]);
      return {
        sent: row?.sent ?? 0,
        completedScores: row?.scores ?? [],
        tagged: row?.tagged ?? 0,
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
