import { normalizeEmail } from '../records.js';
import type { ActionRecord, DecisionRecord, InboxItem, InvitationRecord, Store } from '../types.js';
import { isPurged, readRecords, type SqliteContext } from './sqlite-context.js';

type CandidateOperations = Pick<Store, 'findCandidate' | 'findOpportunitiesByEmail'>;

// Each kind by its (tenant, opportunity_id) index; the e-mail by the generated `email` columns
// (see create-schema.ts), which a purge empties and a prune deletes with their rows.
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
