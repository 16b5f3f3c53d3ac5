import { activityNeedles, normalizeEmail } from '../records.js';
import type {
  ActionRecord,
  DecisionRecord,
  InboxItem,
  InvitationRecord,
  Store,
  TenantActivity,
} from '../types.js';
import { isPurged, readRecords, type SqliteContext } from './sqlite-context.js';

type CandidateOperations = Pick<Store, 'findCandidate' | 'findOpportunitiesByEmail'>;

// Each kind by its (tenant, opportunity_id) index; the e-mail by the generated `email` columns
// (see database.ts), which a purge empties and a prune deletes with their rows.
const byEmail = `SELECT opportunity_id FROM decisions WHERE tenant = :tenant AND email = :email
  UNION SELECT opportunity_id FROM invitations WHERE tenant = :tenant AND email = :email`;

/** The candidate timeline's reads: everything of one opportunity, and the opportunities of an e-mail. */
export function createCandidateOperations(context: SqliteContext): CandidateOperations {
  return {
    async findCandidate(tenant, opportunityId) {
      if (isPurged(context, tenant, opportunityId)) return undefined;
      const filter = { tenant, opportunity_id: opportunityId };
      const records = {
        inbox: readRecords<InboxItem, 'inbox'>(context, 'inbox', filter),
        decisions: readRecords<DecisionRecord, 'decisions'>(context, 'decisions', filter),
        actions: readRecords<ActionRecord, 'actions'>(context, 'actions', filter),
        invitations: readRecords<InvitationRecord, 'invitations'>(context, 'invitations', filter),
      };
      const empty = Object.values(records).every((list) => list.length === 0);
      return empty ? undefined : records;
    },

    async findOpportunitiesByEmail(tenant, email) {
      const wanted = normalizeEmail(email);
      if (wanted === '') return [];
      const ids = context.query(byEmail).pluck().all({ tenant, email: wanted }) as (string | null)[];
      return ids.filter((id): id is string => id !== null && !isPurged(context, tenant, id)).sort();
    },
  };
}

type ConsoleOperations = Pick<Store, 'countActivity' | 'recentDecisions'>;

// The week's decisions by (tenant, created_at) (database.ts): a week is a small slice of a
// year's retention, and the tenant is read from the index, not parsed out of each record. Each decision is a large record (facts, the trace), so it is searched as text, never parsed: see
// activityNeedles (../records.ts) for what each needle matches.
const activityOf = (tags: number) => `SELECT
    coalesce(sum(instr(d.record, :send) > 0), 0) AS sends,
    coalesce(sum(instr(d.record, :completed) > 0), 0) AS completions
    ${Array.from({ length: tags }, (_, n) => `, coalesce(sum(instr(d.record, :tag${n}) > 0), 0) AS tag${n}`).join('')}
  FROM decisions AS d INDEXED BY decisions_by_tenant_created
  WHERE d.tenant = :tenant AND d.created_at >= :since`;
const deadLetters = `SELECT count(*) AS failed,
    coalesce(sum(record ->> '$.failureClass' = 'in-doubt'), 0) AS inDoubt
  FROM actions INDEXED BY actions_by_due WHERE status = 'failed' AND tenant = :tenant`;
// (actions_by_due: by status, the failed few, where the planner would read every action of the tenant.)
// INDEXED BY: the planner would take (tenant, opportunity_id) and sort every decision of the tenant.
const newest = `SELECT record FROM decisions INDEXED BY decisions_by_tenant_created WHERE tenant = ?
  ORDER BY created_at DESC LIMIT ?`;

/** The console's reads: a tenant's week in counts, and its newest decisions. */
export function createConsoleOperations(context: SqliteContext): ConsoleOperations {
  return {
    async countActivity(tenant, since, tags) {
      const needles = activityNeedles(tags);
      const params: Record<string, unknown> = {
        tenant,
        since,
        send: needles.send,
        completed: needles.completed,
      };
      needles.tags.forEach((needle, n) => {
        params[`tag${n}`] = needle;
      });
      const row = context.query(activityOf(tags.length)).get(params) as Record<string, number>;
      const dead = context.query(deadLetters).get({ tenant }) as { failed: number; inDoubt: number };
      const activity: TenantActivity = {
        sends: row.sends ?? 0,
        completions: row.completions ?? 0,
        tagged: Object.fromEntries(tags.map((tag, n) => [tag, row[`tag${n}`] ?? 0])),
        deadLetters: dead.failed,
        inDoubt: dead.inDoubt,
      };
      return activity;
    },

    async recentDecisions(tenant, limit) {
      const texts = context.query(newest).pluck().all(tenant, limit) as string[];
      return texts.map((text) => JSON.parse(text) as DecisionRecord);
    },
  };
}
