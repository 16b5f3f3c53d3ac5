import { StagegateError } from '../../kernel/errors.js';
import { checkInboxOutcome } from '../check-inbox-outcome.js';
import { checkTenant } from '../check-tenant.js';
import { copyJson } from '../copy-json.js';
import { createInboxItem } from '../create-inbox-item.js';
import { replayInboxItem } from '../replay-inbox-item.js';
import type { DecisionRecord, InboxItem, Store } from '../types.js';
import { claimInbox } from './claim-inbox.js';
import {
  findRecord,
  insertRecord,
  type PostgresContext,
  readRecord,
  readRecords,
  replaceRecord,
} from './postgres-context.js';

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

// The token's row is taken, or retaken once its window has passed, in one statement: of two
// instances given the same token at once, the second waits for the first's commit and gets no row.
const claimToken = `INSERT INTO dedupe (tenant, token, at, inbox_id) VALUES ($1, $2, $3, $4)
  ON CONFLICT (tenant, token) DO UPDATE SET at = EXCLUDED.at, inbox_id = EXCLUDED.inbox_id
  WHERE dedupe.at <= $5
  RETURNING inbox_id`;

// The token taken and the item stored in one round trip: the item is inserted only if the token was.
const acceptItem = `WITH claimed AS (${claimToken})
  INSERT INTO inbox (record) SELECT $6::json FROM claimed RETURNING id`;

export function createInboxOperations(context: PostgresContext): InboxOperations {
  const { clock, retention } = context;
  return {
    async acceptDelivery(input) {
      if (typeof input.token !== 'string' || input.token === '') {
        throw new StagegateError('INTERNAL', `A delivery needs a token, got ${JSON.stringify(input.token)}.`);
      }
      checkTenant(input.tenant);
      const now = clock.now();
      const item = createInboxItem(input, now);
      return context.write(async (sql) => {
        const accepted = await sql.rows(acceptItem, [
          input.tenant,
          input.token,
          now,
          item.id,
          now - retention.dedupeMs,
          JSON.stringify(item),
        ]);
        if (accepted.length === 0) {
          const [seen] = await sql.rows<{ inbox_id: string }>(
            'SELECT inbox_id FROM dedupe WHERE tenant = $1 AND token = $2',
            [input.tenant, input.token],
          );
          const first = seen && (await readRecord<InboxItem>(sql, 'inbox', seen.inbox_id));
          if (first) return { duplicate: true, item: first };
          throw new StagegateError('STORE_FAILED', `The first delivery of token ${input.token} is missing.`, {
            details: { tenant: input.tenant },
          });
        }
        return { duplicate: false, item };
      });
    },

    async pendingInbox(tenant) {
      // One tenant's items are in arrival order; across tenants, by receivedAt, then arrival.
      return readRecords<InboxItem, 'inbox'>(
        context.read,
        'inbox',
        { status: 'pending', tenant },
        tenant === undefined ? 'received_at, seq' : 'seq',
      );
    },

    async claimInbox(limit, of) {
      // In a transaction of the batch: handed out once the claim is committed.
      const { owner, claimLeaseMs: leaseMs } = context;
      return context.write((sql) => claimInbox(sql, limit, of, { owner, now: clock.now(), leaseMs }));
    },

    async getInboxItem(id) {
      return readRecord(context.read, 'inbox', id);
    },

    async listInbox(filter = {}) {
      const conditions: [string, string | number | undefined][] = [
        ['tenant', filter.tenant],
        ['status', filter.status],
        ['received_at >=', filter.since],
      ];
      const wanted = conditions.filter(([, value]) => value !== undefined);
      const where = wanted.map(([column], n) => `${column}${column.endsWith('>=') ? '' : ' ='} $${n + 1}`);
      const values: unknown[] = wanted.map(([, value]) => value);
      let limit = '';
      if (filter.limit !== undefined) {
        values.push(Math.max(0, Math.floor(filter.limit)));
        limit = ` LIMIT $${values.length}`;
      }
      const rows = await context.read.rows<{ record: InboxItem }>(
        `SELECT record FROM inbox${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY received_at, seq${limit}`,
        values,
      );
      return rows.map((row) => row.record);
    },

    async replayInbox(id, now) {
      return context.write(async (sql) => {
        const item = await findRecord<InboxItem>(sql, 'inbox', id, 'inbox item');
        replayInboxItem(item, now);
        await replaceRecord(sql, 'inbox', item);
        return item;
      });
    },

    async recordDecision(record) {
      checkTenant(record.tenant);
      return context.write(async (sql) => {
        const stored = await readRecord<DecisionRecord>(sql, 'decisions', record.id);
        if (stored !== undefined) return stored;
        const decision = copyJson(record);
        await insertRecord(sql, 'decisions', decision);
        return decision;
      });
    },

    async completeInbox(id, outcome) {
      return context.write(async (sql) => {
        const item = await findRecord<InboxItem>(sql, 'inbox', id, 'inbox item');
        // Already completed (perhaps earlier in this batch, or by another instance): a no-op.
        if (item.status !== 'pending') return item;
        if ('skipped' in outcome) {
          item.status = 'skipped';
          item.reason = outcome.skipped;
        } else {
          const decision = copyJson(outcome.decision);
          const actions = outcome.actions.map(copyJson);
          checkInboxOutcome(item, decision, actions);
          const taken = [
            ...(await sql.rows<{ id: string }>('SELECT id FROM decisions WHERE id = $1', [decision.id])),
            ...(await sql.rows<{ id: string }>('SELECT id FROM actions WHERE id = ANY($1::text[])', [
              actions.map((action) => action.id),
            ])),
          ].map((row) => row.id);
          if (taken.length > 0) {
            throw new StagegateError(
              'INTERNAL',
              `Cannot complete inbox item ${id}: ids already stored: ${taken.join(', ')}.`,
            );
          }
          // One transaction: the database has the decision, its actions and the item's status, or none.
          await insertRecord(sql, 'decisions', decision);
          for (const action of actions) await insertRecord(sql, 'actions', action);
          item.status = 'done';
          item.decisionId = decision.id;
        }
        await replaceRecord(sql, 'inbox', item);
        return item;
      });
    },
  };
}
