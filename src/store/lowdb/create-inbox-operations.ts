import { StagegateError } from '../../kernel/errors.js';
import { firstPerOpportunity, inboxKeyOf } from '../claims.js';
import { checkInboxOutcome, copyJson, createInboxItem, replayInboxItem } from '../records.js';
import type { Store } from '../types.js';
import { findRecord, matches, readRecord, readRecords, type StoreContext } from './store-context.js';

type InboxOperations = Pick<
  Store,
  | 'acceptDelivery'
  | 'pendingInbox'
  | 'getInboxItem'
  | 'completeInbox'
  | 'listInbox'
  | 'replayInbox'
  | 'claimInbox'
  | 'recordDecision'
>;

export function createInboxOperations(context: StoreContext): InboxOperations {
  const { clock, index, retention } = context;
  return {
    async acceptDelivery(input) {
      if (typeof input.token !== 'string' || input.token === '') {
        throw new StagegateError('INTERNAL', `A delivery needs a token, got ${JSON.stringify(input.token)}.`);
      }
      const partition = context.partitionFor(input.tenant);
      const { data } = partition.db;
      const now = clock.now();
      // Check and write with no await between them: two deliveries of one token cannot both pass.
      const seen = data.dedupe[input.token];
      const first =
        seen !== undefined && now - seen.at < retention.dedupeMs ? index.inbox.get(seen.inboxId) : undefined;
      if (first !== undefined) {
        // The first delivery may still be on its way to disk, or its write failed: answer once it is there.
        await partition.commit.settle();
        return { duplicate: true, item: copyJson(first) };
      }
      const item = createInboxItem(input, now);
      data.inbox.push(item);
      data.dedupe[input.token] = { at: now, inboxId: item.id };
      index.inbox.set(item.id, item);
      await partition.commit.commit();
      return { duplicate: false, item: copyJson(item) };
    },

    async pendingInbox(tenant) {
      const pending = readRecords(
        context,
        index.inbox.values(),
        (item) => item.status === 'pending' && matches(item.tenant, tenant),
      );
      // One tenant's items are in arrival order already; a stable sort by receivedAt interleaves tenants.
      return tenant === undefined ? pending.sort((a, b) => a.receivedAt - b.receivedAt) : pending;
    },

    async claimInbox(limit, of) {
      // One process owns the files: nothing to claim. With `of`, only that opportunity's are copied.
      const wanted = of === undefined ? undefined : inboxKeyOf(of);
      const pending = readRecords(
        context,
        index.inbox.values(),
        (item) =>
          item.status === 'pending' &&
          matches(item.tenant, of?.tenant) &&
          (wanted === undefined || inboxKeyOf(item) === wanted),
      );
      if (of === undefined) pending.sort((a, b) => a.receivedAt - b.receivedAt);
      return firstPerOpportunity(pending, limit, of);
    },

    async getInboxItem(id) {
      return readRecord(context, index.inbox.get(id));
    },

    async listInbox(filter = {}) {
      const found = readRecords(
        context,
        index.inbox.values(),
        (item) =>
          matches(item.tenant, filter.tenant) &&
          matches(item.status, filter.status) &&
          (filter.since === undefined || item.receivedAt >= filter.since),
      ).sort((a, b) => a.receivedAt - b.receivedAt);
      return filter.limit === undefined ? found : found.slice(0, Math.max(0, Math.floor(filter.limit)));
    },

    async replayInbox(id, now) {
      const item = findRecord(context, index.inbox, id, 'inbox item');
      const partition = context.partitionFor(item.tenant);
      // A skip still on its way to disk must be there before it is undone.
      if (item.status === 'skipped') await partition.commit.settle();
      replayInboxItem(item, now);
      await partition.commit.commit();
      return copyJson(item);
    },

    async recordDecision(record) {
      const partition = context.partitionFor(record.tenant);
      const stored = index.decisions.get(record.id);
      if (stored !== undefined) {
        // Perhaps by a call whose write is still on its way.
        await partition.commit.settle();
        return copyJson(stored);
      }
      const decision = copyJson(record);
      partition.db.data.decisions.push(decision);
      index.decisions.set(decision.id, decision);
      await partition.commit.commit();
      return copyJson(decision);
    },

    async completeInbox(id, outcome) {
      const item = findRecord(context, index.inbox, id, 'inbox item');
      const partition = context.partitionFor(item.tenant);
      if (item.status !== 'pending') {
        // Already completed, perhaps by a call whose write is still on its way.
        await partition.commit.settle();
        return copyJson(item);
      }
      if ('skipped' in outcome) {
        item.status = 'skipped';
        item.reason = outcome.skipped;
      } else {
        const decision = copyJson(outcome.decision);
        const actions = outcome.actions.map(copyJson);
        checkInboxOutcome(item, decision, actions);
        const taken = [decision.id, ...actions.map((action) => action.id)].filter(
          (recordId) => index.decisions.has(recordId) || index.actions.has(recordId),
        );
        if (taken.length > 0) {
          throw new StagegateError(
            'INTERNAL',
            `Cannot complete inbox item ${id}: ids already stored: ${taken.join(', ')}.`,
          );
        }
        // All in memory before the one commit below: on disk, the file has all of it or none.
        partition.db.data.decisions.push(decision);
        partition.db.data.actions.push(...actions);
        index.decisions.set(decision.id, decision);
        for (const action of actions) index.actions.set(action.id, action);
        item.status = 'done';
        item.decisionId = decision.id;
      }
      await partition.commit.commit();
      return copyJson(item);
    },
  };
}
