import { normalizeEmail } from '../records.js';
import type { Store } from '../types.js';
import { isPurged, readRecords, type StoreContext } from './store-context.js';

type CandidateOperations = Pick<Store, 'findCandidate' | 'findOpportunitiesByEmail'>;

/**
 * The candidate timeline's reads. The tenant's partition is in memory, so both scan its lists
 * (one tenant, not the whole store) instead of keeping a second index beside the records: what a
 * purge scrubs or a prune drops is gone from the answers at once. The SQLite store indexes both.
 */
export function createCandidateOperations(context: StoreContext): CandidateOperations {
  return {
    async findCandidate(tenant, opportunityId) {
      context.assertOpen();
      const partition = context.partitions.get(tenant);
      if (partition === undefined || isPurged(partition, opportunityId)) return undefined;
      const { data } = partition.db;
      const ofOpportunity = (record: { opportunityId: string | null }) =>
        record.opportunityId === opportunityId;
      const records = {
        inbox: readRecords(context, data.inbox, ofOpportunity),
        decisions: readRecords(context, data.decisions, ofOpportunity),
        actions: readRecords(context, data.actions, ofOpportunity),
        invitations: readRecords(context, data.invitations, ofOpportunity),
      };
      const empty = Object.values(records).every((list) => list.length === 0);
      return empty ? undefined : records;
    },

    async findOpportunitiesByEmail(tenant, email) {
      context.assertOpen();
      const wanted = normalizeEmail(email);
      const partition = context.partitions.get(tenant);
      if (wanted === '' || partition === undefined) return [];
      const { data } = partition.db;
      const found = new Set<string>();
      const consider = (opportunityId: string | null, candidateEmail: string | undefined) => {
        if (opportunityId === null || candidateEmail === undefined) return;
        if (normalizeEmail(candidateEmail) === wanted && !isPurged(partition, opportunityId))
          found.add(opportunityId);
      };
      for (const decision of data.decisions) consider(decision.opportunityId, decision.email);
      for (const invitation of data.invitations)
        consider(invitation.opportunityId, invitation.candidate?.email);
      return [...found].sort();
    },
  };
}
