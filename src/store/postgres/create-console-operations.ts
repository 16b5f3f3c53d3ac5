import type { DecisionRecord, Store } from '../types.js';
import type { PostgresContext } from './postgres-context.js';

type ConsoleOperations = Pick<Store, 'countActivity' | 'recentDecisions'>;

// The week's decisions by created_at (a week is a small slice of a year's retention). Each decision
// is a large record (facts, the trace): strpos() on its text finds the few that may match without
// parsing it, and only those are parsed for the exact test. $1 tenant, $2 since, then the needles.
const actionsOf = "json_array_elements(d.record -> 'decision' -> 'actions')";
const addsTag = (n: number) => `count(*) FILTER (WHERE strpos(d.record::text, $${5 + 2 * n}) > 0 AND EXISTS (
    SELECT 1 FROM ${actionsOf} AS a(value),
      json_array_elements_text(CASE WHEN json_typeof(a.value -> 'tags') = 'array'
        THEN a.value -> 'tags' ELSE '[]'::json END) AS t(tag)
    WHERE a.value ->> 'type' = 'lever.addTags' AND t.tag = $${6 + 2 * n}))::int AS tag${n}`;
const activityOf = (tags: number) => `SELECT
    count(*) FILTER (WHERE strpos(d.record::text, $3) > 0 AND EXISTS (
      SELECT 1 FROM ${actionsOf} AS a(value) WHERE a.value ->> 'type' = 'assessment.send'))::int AS sends,
    count(*) FILTER (WHERE strpos(d.record::text, $4) > 0
      AND d.record -> 'decision' -> 'event' ->> 'type' = 'assessmentCompleted')::int AS completions
    ${Array.from({ length: tags }, (_, n) => `, ${addsTag(n)}`).join('')},
    (SELECT count(*) FROM actions WHERE status = 'failed' AND tenant = $1)::int AS dead,
    (SELECT count(*) FROM actions WHERE status = 'failed' AND tenant = $1
      AND record ->> 'failureClass' = 'in-doubt')::int AS in_doubt
  FROM decisions AS d WHERE d.created_at >= $2 AND d.tenant = $1`;

/** The console's reads: a tenant's week in counts, and its newest decisions. */
export function createConsoleOperations(context: PostgresContext): ConsoleOperations {
  return {
    async countActivity(tenant, since, tags) {
      const params: unknown[] = [tenant, since, '"type":"assessment.send"', '"type":"assessmentCompleted"'];
      for (const tag of tags) params.push(JSON.stringify(tag), tag);
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
