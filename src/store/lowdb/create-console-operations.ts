import type { Action } from '../../kernel/actions.js';
import { normalizeEmail } from '../records.js';
import type { DecisionRecord, Store } from '../types.js';
import { isPurged, readRecord, readRecords, type StoreContext } from './store-context.js';

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

type ConsoleOperations = Pick<Store, 'countActivity' | 'recentDecisions'>;

/**
 * The console's reads, by scanning the tenant's partition in memory: lowdb keeps no indexes, so these
 * grow with the tenant's records (docs/reliability-and-performance.md, "Console pages", has the figures).
 */
export function createConsoleOperations(context: StoreContext): ConsoleOperations {
  return {
    async countActivity(tenant, since, tags) {
      context.assertOpen();
      const data = context.partitions.get(tenant)?.db.data;
      const tagged: Record<string, number> = Object.fromEntries(tags.map((tag) => [tag, 0]));
      const activity = { sends: 0, completions: 0, tagged, deadLetters: 0, inDoubt: 0 };
      if (data === undefined) return activity;
      for (const record of data.decisions) {
        if (record.createdAt < since) continue;
        const decision = record.decision as { actions?: Action[]; event?: { type?: string } } | null;
        const actions = Array.isArray(decision?.actions) ? decision.actions : [];
        if (actions.some((action) => action.type === 'assessment.send')) activity.sends += 1;
        if (decision?.event?.type === 'assessmentCompleted') activity.completions += 1;
        for (const tag of tags) {
          const adds = (action: Action) =>
            action.type === 'lever.addTags' && Array.isArray(action.tags) && action.tags.includes(tag);
          if (actions.some(adds)) tagged[tag] = (tagged[tag] ?? 0) + 1;
        }
      }
      for (const action of data.actions) {
        if (action.status !== 'failed') continue;
        activity.deadLetters += 1;
        if (action.failureClass === 'in-doubt') activity.inDoubt += 1;
      }
      return activity;
    },

    async recentDecisions(tenant, limit) {
      context.assertOpen();
      const decisions = context.partitions.get(tenant)?.db.data.decisions ?? [];
      // Arrival order is creation order here: the newest are at the end.
      const newest: DecisionRecord[] = [];
      for (let n = decisions.length - 1; n >= 0 && newest.length < limit; n -= 1) {
        const record = readRecord(context, decisions[n]);
        if (record !== undefined) newest.push(record);
      }
      return newest.sort((a, b) => b.createdAt - a.createdAt);
    },
  };
}
