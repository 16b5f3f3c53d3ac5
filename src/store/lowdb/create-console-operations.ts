import type { Action } from '../../kernel/actions.js';
import type { DecisionRecord, Store } from '../types.js';
import { readRecord, type StoreContext } from './store-context.js';

type ConsoleOperations = Pick<Store, 'countActivity' | 'recentDecisions'>;

/**
 * The console's reads, by scanning the tenant's partition in memory: lowdb keeps no indexes, so these
 * grow with the tenant's records (the README's Performance section has the figures).
 */
export function createConsoleOperations(context: StoreContext): ConsoleOperations {
  return {
    async countActivity(tenant, since, tag) {
      context.assertOpen();
      const data = context.partitions.get(tenant)?.db.data;
      const activity = {
        sent: 0,
        completedScores: [] as (number | null)[],
        tagged: 0,
        deadLetters: 0,
        inDoubt: 0,
      };
      if (data === undefined) return activity;
      for (const invitation of data.invitations) {
        if (invitation.createdAt >= since) activity.sent += 1;
        if (invitation.status === 'completed' && invitation.updatedAt >= since)
          activity.completedScores.push(invitation.score ?? null);
      }
      for (const record of data.decisions) {
        if (record.createdAt < since) continue;
        const actions = (record.decision as { actions?: Action[] } | null)?.actions;
        const adds = (action: Action) =>
          action.type === 'lever.addTags' && Array.isArray(action.tags) && action.tags.includes(tag);
        if (Array.isArray(actions) && actions.some(adds)) activity.tagged += 1;
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
