import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { migrate, migrations } from '../../src/store/postgres/migrations.js';
import type { Store } from '../../src/store/types.js';
import { postgresRequired, schemaForDir, usePostgresDatabase } from '../support/postgres-test-database.js';
import { describeStoreContract, type OnDisk, type StoreBackend } from './store-contract.js';
import { actionsFor, clock, day, decisionFor, delivery, useStoreTestbed } from './store-testbed.js';

const database = await usePostgresDatabase('store-postgres.test.ts');
const tables = [
  'inbox',
  'decisions',
  'actions',
  'invitations',
  'dedupe',
  'tombstones',
  'probe',
  'credentials',
] as const;

/** A connection of its own to the test's schema: what another process reads, only what is committed. */
async function withSchema<T>(dir: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: database?.url,
    options: `-c search_path=${schemaForDir(dir)}`,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const records = async <T>(client: pg.Client, table: string): Promise<T[]> =>
  (await client.query(`SELECT record FROM ${table} ORDER BY seq`)).rows.map((row) => row.record as T);

const postgres: StoreBackend = {
  name: 'postgres',
  open: (dir) => createPostgresStore({ url: database?.url ?? '', schema: schemaForDir(dir), clock }),
  acmeFile: () => {
    throw new Error('the postgres store keeps no files');
  },
  readDisk: (dir) =>
    withSchema(
      dir,
      async (client): Promise<OnDisk> => ({
        inbox: await records(client, 'inbox'),
        decisions: await records(client, 'decisions'),
        actions: await records(client, 'actions'),
        invitations: await records(client, 'invitations'),
        dedupeTokens: (
          await client.query('SELECT token FROM dedupe ORDER BY tenant COLLATE "C", token COLLATE "C"')
        ).rows.map((row) => row.token as string),
      }),
    ),
  // Every live row's version (xmin) and place (ctid): any insert, update or delete changes it.
  writeMark: (dir) =>
    withSchema(dir, async (client) => {
      const marks: unknown[] = [];
      for (const table of tables) {
        const { rows } = await client.query(
          `SELECT string_agg(xmin::text || '@' || ctid::text, ',' ORDER BY ctid) AS mark FROM ${table}`,
        );
        marks.push(rows[0]?.mark);
      }
      return marks;
    }),
  readAll: (dir) =>
    withSchema(dir, async (client) => {
      const texts: string[] = [];
      for (const table of tables) {
        const { rows } = await client.query(`SELECT t::text AS row FROM ${table} t`);
        texts.push(...rows.map((row) => row.row as string));
      }
      return texts.join('\n');
    }),
};

if (database === undefined) {
  describe.skip(`postgres store (no PostgreSQL${postgresRequired ? '' : '; set STAGEGATE_TEST_POSTGRES=required to fail instead'})`, () => {
    it('runs the store contract on PostgreSQL', () => {});
  });
} else {
  describeStoreContract(postgres);

  describe('postgres store: instances on one database', () => {
    const bed = useStoreTestbed();

    async function openStore(): Promise<Store> {
      return bed.track(await postgres.open(bed.dir));
    }

    async function openPostgres(): Promise<PostgresStore> {
      const store = await createPostgresStore({
        url: database?.url ?? '',
        schema: schemaForDir(bed.dir),
        clock,
      });
      bed.track(store);
      return store;
    }

    it('dedupes a token once across two instances, even when both get it at once', async () => {
      const [a, b] = [await openStore(), await openStore()];
      const firsts = await Promise.all([a.acceptDelivery(delivery()), b.acceptDelivery(delivery())]);
      // A Lever retry landing on the other instance later is a duplicate too.
      const retry = await b.acceptDelivery(delivery({ token: 'token-2' }));
      const retried = await a.acceptDelivery(delivery({ token: 'token-2' }));

      expect(firsts.map((accepted) => accepted.duplicate).sort()).toEqual([false, true]);
      expect(firsts[0]?.item).toEqual(firsts[1]?.item);
      expect(retried).toEqual({ duplicate: true, item: retry.item });
      expect((await postgres.readDisk(bed.dir)).inbox).toHaveLength(2);
      expect(await a.pendingInbox()).toEqual(await b.pendingInbox());
    });

    it('answers deliveries written together as one by one would: new, repeated in the batch, already stored', async () => {
      const [a, b] = [await openStore(), await openStore()];
      const stored = await a.acceptDelivery(delivery({ token: 'stored' }));
      // Asked for in one turn: one batch, whose deliveries are written in one statement.
      const answers = await Promise.all([
        a.acceptDelivery(delivery({ token: 'new-1', opportunityId: 'opp-1' })),
        a.acceptDelivery(delivery({ token: 'stored' })),
        a.acceptDelivery(delivery({ token: 'new-2', opportunityId: 'opp-2' })),
        a.acceptDelivery(delivery({ token: 'new-1', opportunityId: 'opp-1' })),
        a.acceptDelivery(delivery({ tenant: 'globex', token: 'new-1', opportunityId: 'opp-3' })),
        a.acceptDelivery(delivery({ token: 'stored' })),
      ]);
      expect(answers.map((answer) => answer.duplicate)).toEqual([false, true, false, true, false, true]);
      expect(answers[1]?.item).toEqual(stored.item);
      expect(answers[5]?.item).toEqual(stored.item);
      expect(answers[3]?.item).toEqual(answers[0]?.item);
      // Each answer is a copy of its own.
      expect(answers[3]?.item).not.toBe(answers[0]?.item);
      const inbox = (await postgres.readDisk(bed.dir)).inbox;
      // The new ones stored once each, in the order asked for.
      expect(inbox.map((item) => item.id)).toEqual(
        [stored, answers[0], answers[2], answers[4]].map((answer) => answer?.item.id),
      );
      // A retry of any of them on the other instance is a duplicate of what was stored.
      const retries = await Promise.all([
        b.acceptDelivery(delivery({ token: 'new-2', opportunityId: 'opp-2' })),
        b.acceptDelivery(delivery({ token: 'new-3', opportunityId: 'opp-4' })),
        b.acceptDelivery(delivery({ tenant: 'globex', token: 'new-1', opportunityId: 'opp-3' })),
      ]);
      expect(retries.map((answer) => answer.duplicate)).toEqual([true, false, true]);
      expect(retries[0]?.item).toEqual(answers[2]?.item);
      expect(retries[2]?.item).toEqual(answers[4]?.item);
      expect(await b.pendingInbox()).toEqual([...inbox, retries[1]?.item]);
    });

    it('refuses one delivery of those written together alone: the others are stored', async () => {
      const store = await openStore();
      // PostgreSQL cannot read a NUL out of JSON: the statement for all fails, then each runs alone.
      const answers = await Promise.allSettled([
        store.acceptDelivery(delivery({ token: 'ok-1' })),
        store.acceptDelivery(delivery({ token: 'nul', payload: { data: { note: 'a\u0000b' } } })),
        store.acceptDelivery(delivery({ token: 'ok-2' })),
        store.acceptDelivery(delivery({ token: 'ok-1' })),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect(answers[1]).toMatchObject({ reason: { code: 'STORE_FAILED' } });
      expect(
        answers.map((answer) => (answer.status === 'fulfilled' ? answer.value.duplicate : null)),
      ).toEqual([false, null, false, true]);
      expect((await postgres.readDisk(bed.dir)).dedupeTokens).toEqual(['ok-1', 'ok-2']);
      expect((await store.pendingInbox()).map((item) => item.id)).toHaveLength(2);
    });

    it('takes a token whose window has passed again, also when written together', async () => {
      const store = await openStore();
      const old = await store.acceptDelivery(delivery({ token: 'late' }));
      clock.advance(8 * day);
      const answers = await Promise.all([
        store.acceptDelivery(delivery({ token: 'late' })),
        store.acceptDelivery(delivery({ token: 'fresh' })),
        store.acceptDelivery(delivery({ token: 'late' })),
      ]);
      expect(answers.map((answer) => answer.duplicate)).toEqual([false, false, true]);
      expect(answers[0]?.item.id).not.toBe(old.item.id);
      expect(answers[2]?.item).toEqual(answers[0]?.item);
    });

    it('swaps a credential once when two instances expect the same value at once', async () => {
      const [a, b] = [await openStore(), await openStore()];
      const record = (sealed: string) => ({ tenant: 'acme', kind: 'lever-oauth', sealed, updatedAt: 1 });
      expect(await a.putCredentialIf(record('v1.k.first'), null)).toBe(true);
      const raced = await Promise.all([
        a.putCredentialIf(record('v1.k.from-a'), 'v1.k.first'),
        b.putCredentialIf(record('v1.k.from-b'), 'v1.k.first'),
      ]);
      expect([...raced].sort()).toEqual([false, true]);
      expect((await b.getCredential('acme', 'lever-oauth'))?.sealed).toBe(
        raced[0] ? 'v1.k.from-a' : 'v1.k.from-b',
      );
    });

    it('completes an inbox item once when two instances complete it at once', async () => {
      const [a, b] = [await openStore(), await openStore()];
      const { item } = await a.acceptDelivery(delivery());
      const decision = decisionFor(item);
      const [first, second] = await Promise.allSettled([
        a.completeInbox(item.id, { decision, actions: [] }),
        b.completeInbox(item.id, { skipped: 'the other instance' }),
      ]);

      expect([first.status, second.status]).toEqual(['fulfilled', 'fulfilled']);
      const done = await b.getInboxItem(item.id);
      expect(first).toMatchObject({ value: done });
      expect(second).toMatchObject({ value: done });
      expect((await postgres.readDisk(bed.dir)).decisions.length).toBe(done?.status === 'done' ? 1 : 0);
    });

    it('runs a singleton on one instance at a time, and moves it when that instance dies', async () => {
      const [a, b] = [await openPostgres(), await openPostgres()];
      const ran: string[] = [];
      const job = (who: string) => async () => {
        ran.push(who);
      };

      expect(await a.singletons.run('poller', job('a'))).toBe(true);
      expect(await b.singletons.run('poller', job('b'))).toBe(false);
      expect(await a.singletons.run('poller', job('a'))).toBe(true);
      // Another job has a lease of its own.
      expect(await b.singletons.run('retention', job('b-retention'))).toBe(true);

      // The leader's connection dies (a crash, a network cut): PostgreSQL releases its lock.
      await withSchema(bed.dir, (client) =>
        client.query(
          `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
           WHERE l.locktype = 'advisory' AND s.datname = current_database()
             AND l.objid = hashtext($1)::oid`,
          [`${schemaForDir(bed.dir)}:poller`],
        ),
      );
      expect(await b.singletons.run('poller', job('b'))).toBe(true);
      expect(await a.singletons.run('poller', job('a'))).toBe(false);
      expect(ran).toEqual(['a', 'a', 'b-retention', 'b']);

      // A leader that closes hands the job on.
      await b.close();
      expect(await a.singletons.run('poller', job('a'))).toBe(true);
    });

    it('hands the due actions of an opportunity to one instance at a time, until its claim runs out', async () => {
      const [a, b] = [await openPostgres(), await openPostgres()];
      // Which actions, in id order (the order they are due in is the contract's to check).
      const ids = async (store: Store) =>
        (await store.dueActions(clock.now(), 10)).map((action) => action.id).sort();
      for (const [token, opportunityId] of [
        ['t-1', 'opp-1'],
        ['t-2', 'opp-2'],
      ] as const) {
        const { item } = await a.acceptDelivery(delivery({ token, opportunityId }));
        const decision = decisionFor(item, `dec-${opportunityId}`);
        await a.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) });
      }
      const all = ['dec-opp-1:0', 'dec-opp-1:1', 'dec-opp-2:0', 'dec-opp-2:1'];

      // Asked at once: each action goes to one of them, and an opportunity's actions stay together.
      const [fromA, fromB] = await Promise.all([ids(a), ids(b)]);
      expect([...fromA, ...fromB].sort()).toEqual(all);
      for (const opportunity of ['dec-opp-1', 'dec-opp-2']) {
        const holders = [fromA, fromB].filter((list) => list.some((id) => id.startsWith(opportunity)));
        expect(holders).toHaveLength(1);
      }
      const [holder, other] = fromA.length > 0 ? [a, b] : [b, a];
      const held = fromA.length > 0 ? fromA : fromB;
      expect(await ids(holder)).toEqual(held);
      expect(await ids(other)).toEqual(all.filter((id) => !held.includes(id)));

      // The holder renews its claims while it lives; once it stops, they run out and move.
      clock.advance(14_000);
      expect(await ids(holder)).toEqual(held);
      clock.advance(14_000);
      expect(await ids(other)).toEqual(all.filter((id) => !held.includes(id)));
      clock.advance(16_000);
      expect(await ids(other)).toEqual(all);
      expect(await ids(holder)).toEqual([]);
    });

    it("hands an opportunity's inbox items to one instance at a time, in order, until its claim runs out", async () => {
      const [a, b] = [await openPostgres(), await openPostgres()];
      const ids = (items: { id: string }[]) => items.map((item) => item.id);
      const first = (await a.acceptDelivery(delivery({ token: 't-1' }))).item;
      // The second delivery of opp-1 lands on the other instance.
      const second = (await b.acceptDelivery(delivery({ token: 't-2' }))).item;
      const other = (await b.acceptDelivery(delivery({ token: 't-3', opportunityId: 'opp-2' }))).item;

      // Asked at once: each opportunity goes to one of them, with its oldest item.
      const [fromA, fromB] = await Promise.all([a.claimInbox(10), b.claimInbox(10)]);
      expect([...ids(fromA), ...ids(fromB)].sort()).toEqual([first.id, other.id].sort());
      const [holder, rival] = ids(fromA).includes(first.id) ? [a, b] : [b, a];
      // The rival is handed nothing of opp-1, the item it accepted itself included.
      expect(await rival.claimInbox(1, second)).toEqual([]);
      expect(ids(await rival.claimInbox(10))).not.toContain(first.id);
      expect(ids(await holder.claimInbox(1, second))).toEqual([first.id]);
      await holder.completeInbox(first.id, { skipped: 'not a trigger stage' });
      expect(ids(await holder.claimInbox(1, first))).toEqual([second.id]);

      // The holder dies with the second item undecided: its claim runs out, and the rival takes it.
      clock.advance(14_000);
      expect(await rival.claimInbox(1, second)).toEqual([]);
      clock.advance(2_000);
      expect(ids(await rival.claimInbox(1, second))).toEqual([second.id]);
      expect(await holder.claimInbox(1, second)).toEqual([]);
      // Once nothing of it is pending, the claim goes: the next delivery is anyone's.
      await rival.completeInbox(second.id, { skipped: 'not a trigger stage' });
      expect(await rival.claimInbox(1, second)).toEqual([]);
      const third = (await a.acceptDelivery(delivery({ token: 't-4' }))).item;
      expect(ids(await holder.claimInbox(1, third))).toEqual([third.id]);
    });

    it('lets go of its claims when it closes: another instance takes the work at once', async () => {
      const [a, b] = [await openPostgres(), await openPostgres()];
      const { item } = await a.acceptDelivery(delivery());
      const other = (await a.acceptDelivery(delivery({ token: 't-2', opportunityId: 'opp-2' }))).item;
      const decision = decisionFor(other, 'dec-held');
      await a.completeInbox(other.id, { decision, actions: actionsFor(decision, 1) });
      expect((await a.claimInbox(10)).map((held) => held.id)).toEqual([item.id]);
      expect((await a.dueActions(clock.now(), 10)).map((held) => held.id)).toEqual(['dec-held:0']);
      await a.updateAction('dec-held:0', { status: 'running', attempts: 1 });
      expect(await b.claimInbox(10)).toEqual([]);

      await a.close();
      expect((await b.claimInbox(10)).map((taken) => taken.id)).toEqual([item.id]);
      // The action it left running goes back to pending under b's claim, for the in-doubt rule to judge.
      expect((await b.dueActions(clock.now(), 10)).map((taken) => taken.id)).toEqual(['dec-held:0']);
    });

    it("takes back a dead instance's running actions once its claim runs out, never a live one's", async () => {
      const [a, b] = [await openPostgres(), await openPostgres()];
      const { item } = await a.acceptDelivery(delivery());
      const decision = decisionFor(item);
      await a.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) });
      expect((await a.dueActions(clock.now(), 10)).map((action) => action.id)).toEqual([
        `${decision.id}:0`,
        `${decision.id}:1`,
      ]);
      await a.updateAction(`${decision.id}:0`, { status: 'running', attempts: 1 });

      // A third instance starts while a lives: a's running action is left alone.
      const c = await openPostgres();
      expect(await c.recoverActions(clock.now())).toEqual([]);
      expect(await b.dueActions(clock.now(), 10)).toEqual([]);
      clock.advance(10_000);
      await a.dueActions(clock.now(), 10); // a lives: this renews its claim
      clock.advance(10_000);
      expect(await c.recoverActions(clock.now())).toEqual([]);
      expect((await a.getAction(`${decision.id}:0`))?.status).toBe('running');

      // a dies (it renews nothing more): after the lease, the action goes back to pending on one instance.
      clock.advance(16_000);
      const [byB, byC] = await Promise.all([b.dueActions(clock.now(), 10), c.recoverActions(clock.now())]);
      const taker = byB.length > 0 ? b : c;
      expect([...byB.map((x) => x.id), ...byC.map((x) => x.id)]).toContain(`${decision.id}:0`);
      expect(await a.getAction(`${decision.id}:0`)).toMatchObject({
        status: 'pending',
        attempts: 1,
        nextAttemptAt: clock.now(),
      });
      expect((await taker.dueActions(clock.now(), 10)).map((action) => action.id)).toEqual([
        `${decision.id}:0`,
        `${decision.id}:1`,
      ]);
      expect(await (taker === b ? c : b).dueActions(clock.now(), 10)).toEqual([]);
    });

    it('migrates once when instances start together, and records the version', async () => {
      await Promise.all([openStore(), openStore(), openStore()]);
      const versions = await withSchema(bed.dir, async (client) =>
        (await client.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map(
          (row) => row.version as number,
        ),
      );
      expect(versions).toEqual(migrations.map((migration) => migration.version));
    });

    it('indexes the e-mails of the records a version 2 database already holds, once migrated to 3', async () => {
      const before = migrations.filter((migration) => migration.version <= 2);
      await withSchema(bed.dir, async (client) => {
        await migrate(client, schemaForDir(bed.dir), 'the test database', before);
        const decision = { id: 'dec-1', tenant: 'acme', opportunityId: 'opp-1', inboxId: 'in-1' };
        await client.query('INSERT INTO decisions (record) VALUES ($1::json)', [
          JSON.stringify({ ...decision, createdAt: clock.now(), decision: {}, email: ' Ada@Example.com' }),
        ]);
        const candidate = { name: 'Ada', email: 'ADA@example.COM\t' };
        await client.query('INSERT INTO invitations (record) VALUES ($1::json)', [
          JSON.stringify({ id: 'inv-1', tenant: 'acme', opportunityId: 'opp-2', status: 'sent', candidate }),
        ]);
      });

      const store = await openStore();

      expect(await store.findOpportunitiesByEmail('acme', 'ada@example.com')).toEqual(['opp-1', 'opp-2']);
      const versions = await withSchema(bed.dir, async (client) =>
        (await client.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map(
          (row) => row.version as number,
        ),
      );
      expect(versions).toEqual(migrations.map((migration) => migration.version));
    });

    it('refuses a database of a newer schema, and one it cannot reach, without the password', async () => {
      await (await openStore()).close();
      await withSchema(bed.dir, (client) =>
        client.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')"),
      );
      const newer = await postgres.open(bed.dir).then(bed.track, (error: unknown) => error);
      expect(newer).toMatchObject({ code: 'STORE_FAILED', details: { version: 999 } });

      const unreachable = await createPostgresStore({
        url: 'postgres://stagegate:s3cret-pw@127.0.0.1:1/nowhere',
        clock,
      }).then(bed.track, (error: unknown) => error);
      expect(unreachable).toMatchObject({
        code: 'STORE_FAILED',
        details: { database: 'postgres://stagegate@127.0.0.1:1/nowhere' },
      });
      expect((unreachable as Error).message).not.toContain('s3cret-pw');
    });
  });
}
