import type { Action } from '../../kernel/actions.js';
import type { DecisionRecord, Store } from '../types.js';
import { readRecord, type StoreContext } from './store-context.js';

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
