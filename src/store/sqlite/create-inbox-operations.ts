import { StagegateError } from '../../kernel/errors.js';
import { checkInboxOutcome, checkTenant, copyJson, createInboxItem, replayInboxItem } from '../records.js';
import type { DecisionRecord, InboxItem, Store } from '../types.js';
import {
  findRecord,
  insertRecord,
  readRecord,
  readRecords,
  replaceRecord,
  type SqliteContext,
} from './sqlite-context.js';

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

export function createInboxOperations(context: SqliteContext): InboxOperations {
  const { clock, retention } = context;
  return {
    async acceptDelivery(input) {
      if (typeof input.token !== 'string' || input.token === '') {
        throw new StagegateError('INTERNAL', `A delivery needs a token, got ${JSON.stringify(input.token)}.`);
      }
      checkTenant(input.tenant);
      const now = clock.now();
      // The check runs in the batch transaction, after the batch's earlier changes: two deliveries
      // of one token cannot both pass, and a duplicate is answered only once the first is committed.
      return context.write(() => {
        const seen = context
          .query('SELECT at, inbox_id AS inboxId FROM dedupe WHERE tenant = ? AND token = ?')
          .get(input.tenant, input.token) as { at: number; inboxId: string } | undefined;
        const first =
          seen !== undefined && now - seen.at < retention.dedupeMs
            ? readRecord<InboxItem>(context, 'inbox', seen.inboxId)
            : undefined;
        if (first !== undefined) return { duplicate: true, item: first };
        const item = createInboxItem(input, now);
        insertRecord(context, 'inbox', item);
        context
          .query('INSERT OR REPLACE INTO dedupe (tenant, token, at, inbox_id) VALUES (?, ?, ?, ?)')
          .run(input.tenant, input.token, now, item.id);
        return { duplicate: false, item };
      });
    },

    async pendingInbox(tenant) {
      // One tenant's items are in arrival order; across tenants, by receivedAt, then arrival.
      return readRecords<InboxItem, 'inbox'>(
        context,
        'inbox',
        { status: 'pending', tenant },
        tenant === undefined ? 'received_at, seq' : 'seq',
      );
    },

    async claimInbox(limit, of) {
      // One process owns the file: nothing to claim. Indexed, so a worker draining a backlog does
      // not read every pending item for each one it decides.
      if (of !== undefined) {
        const text =
          of.opportunityId === null
            ? context
                .query(
                  "SELECT record FROM inbox WHERE status = 'pending' AND tenant = ? AND opportunity_id IS NULL AND id = ? ORDER BY seq LIMIT 1",
                )
                .pluck()
                .get(of.tenant, of.id)
            : context
                .query(
                  "SELECT record FROM inbox WHERE status = 'pending' AND tenant = ? AND opportunity_id = ? ORDER BY seq LIMIT 1",
                )
                .pluck()
                .get(of.tenant, of.opportunityId);
        return typeof text === 'string' ? [JSON.parse(text) as InboxItem] : [];
      }
      const texts = context
        .query(
          `SELECT record FROM inbox WHERE seq IN (SELECT min(seq) FROM inbox WHERE status = 'pending'
             GROUP BY tenant, coalesce(opportunity_id, '#' || id)) ORDER BY received_at, seq LIMIT ?`,
        )
        .pluck()
        .all(Math.max(0, Math.floor(limit)));
      return texts.map((text) => JSON.parse(text as string) as InboxItem);
    },

    async getInboxItem(id) {
      return readRecord(context, 'inbox', id);
    },

    async listInbox(filter = {}) {
      const conditions: [string, string | number | undefined][] = [
        ['tenant = ?', filter.tenant],
        ['status = ?', filter.status],
        ['received_at >= ?', filter.since],
      ];
      const wanted = conditions.filter(([, value]) => value !== undefined);
      const where = wanted.map(([condition]) => condition);
      const values = wanted.map(([, value]) => value);
      const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
      const texts = context
        .query(
          `SELECT record FROM inbox${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY received_at, seq${limit}`,
        )
        .pluck()
        .all(...values);
      return texts.map((text) => JSON.parse(text as string) as InboxItem);
    },

    async replayInbox(id, now) {
      return context.write(() => {
        const item = findRecord<InboxItem>(context, 'inbox', id, 'inbox item');
        replayInboxItem(item, now);
        replaceRecord(context, 'inbox', item);
        return item;
      });
    },

    async recordDecision(record) {
      checkTenant(record.tenant);
      return context.write(() => {
        const stored = readRecord<DecisionRecord>(context, 'decisions', record.id);
        if (stored !== undefined) return stored;
        const decision = copyJson(record);
        insertRecord(context, 'decisions', decision);
        return decision;
      });
    },

    async completeInbox(id, outcome) {
      return context.write(() => {
        const item = findRecord<InboxItem>(context, 'inbox', id, 'inbox item');
        // Already completed (perhaps earlier in this batch): a no-op.
        if (item.status !== 'pending') return item;
        if ('skipped' in outcome) {
          item.status = 'skipped';
          item.reason = outcome.skipped;
        } else {
          const decision = copyJson(outcome.decision);
          const actions = outcome.actions.map(copyJson);
          checkInboxOutcome(item, decision, actions);
          const taken = [
            ...(readRecord(context, 'decisions', decision.id) === undefined ? [] : [decision.id]),
            ...actions
              .map((action) => action.id)
              .filter((actionId) => readRecord(context, 'actions', actionId)),
          ];
          if (taken.length > 0) {
            throw new StagegateError(
              'INTERNAL',
              `Cannot complete inbox item ${id}: ids already stored: ${taken.join(', ')}.`,
            );
          }
          // One transaction: the file has the decision, its actions and the item's status, or none.
          insertRecord(context, 'decisions', decision);
          for (const action of actions) insertRecord(context, 'actions', action);
          item.status = 'done';
          item.decisionId = decision.id;
        }
        replaceRecord(context, 'inbox', item);
        return item;
      });
    },
  };
}
