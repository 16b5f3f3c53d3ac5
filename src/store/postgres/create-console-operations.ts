import { activityNeedles, normalizeEmail } from '../records.js';
import type { ActionRecord, DecisionRecord, InboxItem, InvitationRecord, Store } from '../types.js';
import type { PostgresContext } from './postgres-context.js';

type CandidateOperations = Pick<Store, 'findCandidate' | 'findOpportunitiesByEmail'>;

const tombstoned = 'EXISTS (SELECT 1 FROM tombstones WHERE tenant = $1 AND opportunity_id = $2)';
const ofOpportunity = (table: string) =>
  `(SELECT coalesce(json_agg(record ORDER BY seq), '[]'::json) FROM ${table}
    WHERE tenant = $1 AND opportunity_id = $2) AS ${table}`;

// One statement, so one snapshot: the four kinds and the tombstone as of the same commit. Each kind
// by its (tenant, opportunity_id) index; json_agg of `json` keeps each record's text as written.
const byOpportunity = `SELECT ${tombstoned} AS purged, ${['inbox', 'decisions', 'actions', 'invitations']
  .map(ofOpportunity)
  .join(', ')}`;

// The e-mail by the generated `email` columns (migration 3), which a purge empties and a prune
// deletes with their rows. $1 is the tenant, $2 the normalised e-mail.
const byEmail = `SELECT opportunity_id FROM decisions WHERE tenant = $1 AND email = $2
  UNION SELECT opportunity_id FROM invitations WHERE tenant = $1 AND email = $2`;

interface CandidateRow {
  purged: boolean;
  inbox: InboxItem[];
  decisions: DecisionRecord[];
  actions: ActionRecord[];
  invitations: InvitationRecord[];
}

/** The candidate timeline's reads: everything of one opportunity, and the opportunities of an e-mail. */
export function createCandidateOperations(context: PostgresContext): CandidateOperations {
  return {
    async findCandidate(tenant, opportunityId) {
      const [row] = await context.read.rows<CandidateRow>(byOpportunity, [tenant, opportunityId]);
      if (row === undefined || row.purged) return undefined;
      const { inbox, decisions, actions, invitations } = row;
      const records = { inbox, decisions, actions, invitations };
      const empty = Object.values(records).every((list) => list.length === 0);
      return empty ? undefined : records;
    },

    async findOpportunitiesByEmail(tenant, email) {
      const wanted = normalizeEmail(email);
      if (wanted === '') return [];
      const rows = await context.read.rows<{ opportunity_id: string }>(
        `SELECT opportunity_id FROM (${byEmail}) AS found WHERE opportunity_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM tombstones
             WHERE tombstones.tenant = $1 AND tombstones.opportunity_id = found.opportunity_id)`,
        [tenant, wanted],
      );
      // Sorted here, as the other backends sort (by UTF-16 code units, not by a collation).
      return rows.map((row) => row.opportunity_id).sort();
    },
  };
}

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
