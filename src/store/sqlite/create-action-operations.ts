import { actionPatchKeys, pickPatch, scrubFinishedAction } from '../records.js';
import type { ActionRecord, DecisionRecord, Store } from '../types.js';
import {
  findRecord,
  isPurged,
  readRecord,
  readRecords,
  replaceRecord,
  type SqliteContext,
} from './sqlite-context.js';

type ActionOperations = Pick<
  Store,
  'getDecision' | 'listDecisions' | 'listActions' | 'getAction' | 'dueActions' | 'updateAction'
>;

export function createActionOperations(context: SqliteContext): ActionOperations {
  const { clock } = context;
  return {
    async getDecision(id) {
      return readRecord(context, 'decisions', id);
    },

    async listDecisions(filter = {}) {
      return readRecords<DecisionRecord, 'decisions'>(context, 'decisions', {
        tenant: filter.tenant,
        opportunity_id: filter.opportunityId,
      });
    },

    async listActions(filter = {}) {
      return readRecords<ActionRecord, 'actions'>(context, 'actions', {
        tenant: filter.tenant,
        status: filter.status,
        opportunity_id: filter.opportunityId,
      });
    },

    async getAction(id) {
      return readRecord(context, 'actions', id);
    },

    async dueActions(now, limit) {
      // Reads see only committed transactions: an action handed out here is on disk.
      const texts = context
        .query(
          `SELECT record FROM actions WHERE status = 'pending' AND next_attempt_at <= ?
           ORDER BY created_at, idx, seq LIMIT ?`,
        )
        .pluck()
        .all(now, Math.max(0, Math.floor(limit)));
      return texts.map((text) => JSON.parse(text as string) as ActionRecord);
    },

    async updateAction(id, patch) {
      const changes = pickPatch(patch, actionPatchKeys);
      const updatedAt = patch.updatedAt ?? clock.now();
      return context.write((tools) => {
        const action = findRecord<ActionRecord>(context, 'actions', id, 'action');
        Object.assign(action, changes, { updatedAt });
        // After a purge, what a finishing action reports about the candidate is not kept.
        if (isPurged(context, action.tenant, action.opportunityId)) {
          scrubFinishedAction(action);
          tools.truncateWal();
        }
        replaceRecord(context, 'actions', action);
        return action;
      });
    },
  };
}
