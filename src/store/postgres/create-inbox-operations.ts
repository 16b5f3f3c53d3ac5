import { StagegateError } from '../../kernel/errors.js';
import { checkInboxOutcome, checkTenant, copyJson, createInboxItem, replayInboxItem } from '../records.js';
import type { AcceptedDelivery, DecisionRecord, InboxItem, Store } from '../types.js';
import { claimInbox } from './claims.js';
import type { Outcome, Together } from './create-batch-commit.js';
import {
  findRecord,
  insertRecord,
  type PostgresContext,
  readRecord,
  readRecords,
  replaceRecord,
  type Sql,
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

// Several deliveries of one batch in one statement: the tokens taken (or retaken) from one unnest,
// then the items whose token was taken, in the order asked for (their seq is arrival order). The
// batch holds each token once (a repeat within it is answered as a duplicate of the first). Tokens
// are taken in key order, so two instances' batches sharing tokens wait for each other, never deadlock.
const acceptItems = `WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::double precision[], $4::text[], $5::json[])
      WITH ORDINALITY AS t(tenant, token, at, inbox_id, record, n)
  ), claimed AS (
    INSERT INTO dedupe (tenant, token, at, inbox_id)
    SELECT tenant, token, at, inbox_id FROM input ORDER BY tenant, token
    ON CONFLICT (tenant, token) DO UPDATE SET at = EXCLUDED.at, inbox_id = EXCLUDED.inbox_id
    WHERE dedupe.at <= EXCLUDED.at - $6
    RETURNING inbox_id
  )
  INSERT INTO inbox (record) SELECT input.record FROM input JOIN claimed USING (inbox_id) ORDER BY input.n
  RETURNING id`;

interface Delivery {
  tenant: string;
  token: string;
  now: number;
  item: InboxItem;
}

const deliveryKey = (tenant: string, token: string) => `${tenant}\u001f${token}`;

export function createInboxOperations(context: PostgresContext): InboxOperations {
  const { clock, retention } = context;

  /** The deliveries of one batch, answered as one by one would answer them, in two statements at most. */
  async function acceptAll(sql: Sql, inputs: unknown[]): Promise<Outcome[]> {
    const deliveries = inputs as Delivery[];
    // A token asked for twice in the batch: the first is written, the others answer as the first did.
    const first = new Map<string, number>();
    const written: Delivery[] = [];
    deliveries.forEach((delivery, n) => {
      const key = deliveryKey(delivery.tenant, delivery.token);
      if (first.has(key)) return;
      first.set(key, n);
      written.push(delivery);
    });
    const taken = await sql.rows<{ id: string }>(acceptItems, [
      written.map((d) => d.tenant),
      written.map((d) => d.token),
      written.map((d) => d.now),
      written.map((d) => d.item.id),
      written.map((d) => JSON.stringify(d.item)),
      retention.dedupeMs,
    ]);
    const isNew = new Set(taken.map((row) => row.id));
    // Tokens already stored (committed before, or by another instance while this waited): their
    // first items, read in a statement of their own, which sees what committed meanwhile.
    const seen = written.filter((d) => !isNew.has(d.item.id));
    const firstItems = new Map<string, InboxItem>();
    if (seen.length > 0) {
      const rows = await sql.rows<{ tenant: string; token: string; record: InboxItem }>(
        `SELECT d.tenant, d.token, i.record FROM unnest($1::text[], $2::text[]) AS t(tenant, token)
           JOIN dedupe d USING (tenant, token) JOIN inbox i ON i.id = d.inbox_id`,
        [seen.map((d) => d.tenant), seen.map((d) => d.token)],
      );
      for (const row of rows) firstItems.set(deliveryKey(row.tenant, row.token), row.record);
    }
    return deliveries.map((delivery, n): Outcome => {
      const key = deliveryKey(delivery.tenant, delivery.token);
      const leader = deliveries[first.get(key) ?? n] as Delivery;
      if (isNew.has(leader.item.id)) {
        return leader === delivery
          ? { ok: true, value: { duplicate: false, item: delivery.item } }
          : { ok: true, value: { duplicate: true, item: copyJson(leader.item) } };
      }
      const stored = firstItems.get(key);
      if (stored) return { ok: true, value: { duplicate: true, item: copyJson(stored) } };
      return {
        ok: false,
        error: new StagegateError(
          'STORE_FAILED',
          `The first delivery of token ${delivery.token} is missing.`,
          {
            details: { tenant: delivery.tenant },
          },
        ),
      };
    });
  }

  return {
    async acceptDelivery(input) {
      if (typeof input.token !== 'string' || input.token === '') {
        throw new StagegateError('INTERNAL', `A delivery needs a token, got ${JSON.stringify(input.token)}.`);
      }
      checkTenant(input.tenant);
      const now = clock.now();
      const item = createInboxItem(input, now);
      const delivery: Delivery = { tenant: input.tenant, token: input.token, now, item };
      const together: Together<AcceptedDelivery> = {
        kind: 'acceptDelivery',
        input: delivery,
        runAll: acceptAll,
      };
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
      }, together);
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
