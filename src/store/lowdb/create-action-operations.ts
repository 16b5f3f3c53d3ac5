import { actionPatchKeys, copyJson, pickPatch, scrubFinishedAction } from '../records.js';
import type { ActionRecord, Store } from '../types.js';
import {
  findRecord,
  isPurged,
  matches,
  readRecord,
  readRecords,
  type StoreContext,
  settleTenants,
} from './store-context.js';

type ActionOperations = Pick<
  Store,
  'getDecision' | 'listDecisions' | 'listActions' | 'getAction' | 'dueActions' | 'updateAction'
>;

export function createActionOperations(context: StoreContext): ActionOperations {
  const { clock, index } = context;
  return {
    async getDecision(id) {
      return readRecord(context, index.decisions.get(id));
    },

    async listDecisions(filter = {}) {
      return readRecords(
        context,
        index.decisions.values(),
        (decision) =>
          matches(decision.tenant, filter.tenant) && matches(decision.opportunityId, filter.opportunityId),
      );
    },

    async listActions(filter = {}) {
      return readRecords(
        context,
        index.actions.values(),
        (action) =>
          matches(action.tenant, filter.tenant) &&
          matches(action.status, filter.status) &&
          matches(action.opportunityId, filter.opportunityId),
      );
    },

    async getAction(id) {
      return readRecord(context, index.actions.get(id));
    },

    async dueActions(now, limit) {
      const isDue = (action: ActionRecord) => action.status === 'pending' && action.nextAttemptAt <= now;
      // Only actions already on disk: an action must never run and then vanish in a crash.
      const durable = await settleTenants(
        context,
        [...index.actions.values()].filter(isDue).map((action) => action.tenant),
      );
      const due = readRecords(context, index.actions.values(), (a) => isDue(a) && durable.has(a.tenant));
      return due.sort((a, b) => a.createdAt - b.createdAt || a.index - b.index).slice(0, Math.max(0, limit));
    },

    async updateAction(id, patch) {
      const action = findRecord(context, index.actions, id, 'action');
      const partition = context.partitionFor(action.tenant);
      Object.assign(action, pickPatch(patch, actionPatchKeys), { updatedAt: patch.updatedAt ?? clock.now() });
      // After a purge, what a finishing action reports about the candidate is not kept.
      if (isPurged(partition, action.opportunityId)) scrubFinishedAction(action);
      await partition.commit.commit();
      return copyJson(action);
    },
  };
}
