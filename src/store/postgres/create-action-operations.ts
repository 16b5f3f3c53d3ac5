import { actionPatchKeys, pickPatch, scrubFinishedAction } from '../records.js';
import type { ActionRecord, DecisionRecord, Store } from '../types.js';
import { claimDueActions, reclaimAbandonedActions } from './claims.js';
import {
  findRecord,
  isPurged,
  type PostgresContext,
  readRecord,
  readRecords,
  replaceRecord,
} from './postgres-context.js';

type ActionOperations = Pick<
  Store,
  | 'getDecision'
  | 'listDecisions'
  | 'listActions'
  | 'getAction'
  | 'dueActions'
  | 'updateAction'
  | 'recoverActions'
>;

export function createActionOperations(context: PostgresContext): ActionOperations {
  const { clock } = context;
  return {
    async getDecision(id) {
      return readRecord(context.read, 'decisions', id);
    },

    async listDecisions(filter = {}) {
      return readRecords<DecisionRecord, 'decisions'>(context.read, 'decisions', {
        tenant: filter.tenant,
        opportunity_id: filter.opportunityId,
      });
    },

    async listActions(filter = {}) {
      return readRecords<ActionRecord, 'actions'>(context.read, 'actions', {
        tenant: filter.tenant,
        status: filter.status,
        opportunity_id: filter.opportunityId,
      });
    },

    async getAction(id) {
      return readRecord(context.read, 'actions', id);
    },

    async dueActions(now, limit) {
      // Claimed in a transaction of the batch, so handed out once committed; another instance is
      // not handed the same opportunity's actions while this one's claim lives.
      const { owner, claimLeaseMs: leaseMs } = context;
      return context.write((sql) =>
        claimDueActions(sql, now, Math.max(0, Math.floor(limit)), { owner, now: clock.now(), leaseMs }),
      );
    },

    async recoverActions() {
      // Only what no live instance claims: another instance's running actions are left to it.
      const { owner, claimLeaseMs: leaseMs } = context;
      return context.write((sql) =>
        reclaimAbandonedActions(sql, { owner, now: clock.now(), leaseMs, orphansToo: true }),
      );
    },

    async updateAction(id, patch) {
      const changes = pickPatch(patch, actionPatchKeys);
      const updatedAt = patch.updatedAt ?? clock.now();
      return context.write(async (sql) => {
        const action = await findRecord<ActionRecord>(sql, 'actions', id, 'action');
        Object.assign(action, changes, { updatedAt });
        // After a purge, what a finishing action reports about the candidate is not kept.
        if (await isPurged(sql, action.tenant, action.opportunityId)) scrubFinishedAction(action);
        await replaceRecord(sql, 'actions', action);
        return action;
      });
    },
  };
}
