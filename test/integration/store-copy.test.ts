// `stagegate store copy`: a real SQLite (or lowdb) store in a temp directory, holding pending work,
// copied into a real PostgreSQL database; then the service on PostgreSQL finishes that work.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createManualClock, systemClock } from '../../src/kernel/clock.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { createPostgresStore, schemaOfUrl } from '../../src/store/postgres/create-postgres-store.js';
import { createSqliteStore } from '../../src/store/sqlite/create-sqlite-store.js';
import { copiedMarkerName } from '../../src/store/store-directory.js';
import type { Store } from '../../src/store/types.js';
import { captureIo } from '../support/capture-io.js';
import { usePostgresDatabase } from '../support/postgres-test-database.js';
import { databaseUrlForDir } from '../support/schema-for-dir.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const database = await usePostgresDatabase('store-copy.test.ts');
// Trust authentication ignores it; it stands for the password a real DATABASE_URL carries.
const password = 'pw-never-shown-8c2f';
const withPassword = (url: string) => {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
};

const copy = async (root: string, from: string, url: string, extra: string[] = []) => {
  const io = captureIo({ cwd: root, env: { DATABASE_URL: url } });
  const code = await runCli(['store', 'copy', '--from', from, '--to', 'postgres', ...extra], io);
  return { code, out: io.out(), err: io.err() };
};

/** What a store answers about everything it holds, to compare two stores. */
async function contents(store: Store) {
  return {
    inbox: await store.listInbox(),
    pending: await store.pendingInbox(),
    decisions: await store.listDecisions(),
    actions: await store.listActions(),
    invitations: await store.listInvitations(),
    credential: await store.getCredential('acme', 'lever-oauth'),
    tombstone: await store.getTombstone('acme', 'opp-purged'),
  };
}

/** Writes, through the store's own interface, a bit of every kind: pending, done and purged work. */
async function seed(store: Store, now: number): Promise<void> {
  const done = await store.acceptDelivery({
    tenant: 'acme',
    token: 'tok-done',
    event: 'candidateStageChange',
    triggeredAt: now,
    opportunityId: 'opp-done',
    payload: { data: { opportunityId: 'opp-done' }, ünïcode: 'ü \\ " \n' },
  });
  await store.completeInbox(done.item.id, {
    decision: {
      id: 'dec-1',
      tenant: 'acme',
      opportunityId: 'opp-done',
      inboxId: done.item.id,
      createdAt: now,
      decision: { b: 1, a: 2 },
      email: 'Ada@Example.com',
    },
    actions: [0, 1].map((index) => ({
      id: `dec-1:${index}`,
      tenant: 'acme',
      opportunityId: 'opp-done',
      decisionId: 'dec-1',
      index,
      action: { type: 'lever.addTags', tags: ['x'] },
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    })),
  });
  await store.updateAction('dec-1:0', {
    status: 'failed',
    attempts: 3,
    lastError: 'no',
    failureClass: 'final',
  });
  await store.updateAction('dec-1:1', { attempts: 2, nextAttemptAt: now + 90_000, lastError: 'later' });
  await store.putInvitation({
    id: 'inv-1',
    tenant: 'acme',
    opportunityId: 'opp-done',
    test: 'Backend - Python',
    providerTestId: 'sandbox-python',
    status: 'sending',
    candidate: { email: 'ada@example.com' },
    createdAt: now,
    updatedAt: now,
  });
  await store.acceptDelivery({
    tenant: 'acme',
    token: 'tok-pending',
    event: 'candidateStageChange',
    triggeredAt: now,
    opportunityId: 'opp-pending',
    payload: {},
  });
  await store.acceptDelivery({
    tenant: 'globex',
    token: 'tok-other-tenant',
    event: 'candidateHired',
    triggeredAt: now,
    opportunityId: 'opp-g',
    payload: {},
  });
  await store.putCredential({
    tenant: 'acme',
    kind: 'lever-oauth',
    sealed: 'v1.k1.iv.ct+/=tag',
    updatedAt: now,
  });
  await store.acceptDelivery({
    tenant: 'acme',
    token: 'tok-purged',
    event: 'candidateDeleted',
    triggeredAt: now,
    opportunityId: 'opp-purged',
    payload: { email: 'gone@example.com' },
  });
  await store.purgeCandidate('acme', 'opp-purged', now);
}

describe.skipIf(database === undefined)('stagegate store copy', () => {
  let dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagegate-copy-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    dirs = [];
  });

  for (const kind of ['sqlite', 'lowdb'] as const) {
    it(`copies every record of a ${kind} store as the store answers it, and reports the counts`, async () => {
      const dir = await tempDir();
      const url = withPassword(databaseUrlForDir(database?.url ?? '', `${dir}-target`));
      const now = Date.now();
      const open = () =>
        kind === 'sqlite'
          ? createSqliteStore({ dir, clock: systemClock })
          : createLowdbStore({ dir, clock: systemClock });
      const source = await open();
      await seed(source, now);
      const before = await contents(source);

      // A running service holds the store's lock: the copy is refused and writes nothing.
      const whileOpen = await copy(dir, `${kind}:${dir}`, url);
      expect(whileOpen.code).toBe(1);
      expect(whileOpen.err).toMatch(/in use by process \d+/);
      await source.close();

      const result = await copy(dir, `${kind}:${dir}`, url);
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/inbox items\s+4 {2}\(done 1, pending 3\)\n/);
      expect(result.out).toMatch(/dedupe tokens\s+4\n/);
      expect(result.out).toMatch(/actions\s+2 {2}\(failed 1, pending 1\)/);
      expect(result.out).toMatch(/invitations\s+1 {2}\(sending 1\)/);
      expect(result.out).toMatch(/tombstones\s+1\n/);
      expect(result.out).toMatch(/credentials\s+1\n/);
      expect(result.out).not.toContain(password);

      if (kind === 'sqlite') {
        // Byte for byte: each record's JSON text (a sealed credential's included) as SQLite held it.
        const file = new Database(join(dir, 'stagegate.sqlite'), { readonly: true });
        const texts = (table: string) =>
          file
            .prepare(
              `SELECT record FROM ${table} ORDER BY ${table === 'credentials' ? 'tenant, kind' : 'seq'}`,
            )
            .pluck()
            .all();
        const client = new pg.Client({
          connectionString: url,
          options: `-c search_path=${schemaOfUrl(url)}`,
        });
        await client.connect();
        try {
          for (const table of ['inbox', 'decisions', 'actions', 'invitations', 'credentials']) {
            const order = table === 'credentials' ? 'tenant, kind' : 'seq';
            const { rows } = await client.query<{ t: string }>(
              `SELECT record::text AS t FROM ${table} ORDER BY ${order}`,
            );
            expect(rows.map((row) => row.t)).toEqual(texts(table));
          }
        } finally {
          await client.end();
          file.close();
        }
      }

      const target = await createPostgresStore({ url, clock: systemClock });
      try {
        expect(await contents(target)).toEqual(before);
        // The order within a tenant, the dedupe tokens and the e-mail index came along.
        const again = await target.acceptDelivery({
          tenant: 'acme',
          token: 'tok-pending',
          event: 'candidateStageChange',
          triggeredAt: now,
          opportunityId: 'opp-pending',
          payload: {},
        });
        expect(again.duplicate).toBe(true);
        expect(await target.findOpportunitiesByEmail('acme', 'ADA@example.com')).toEqual(['opp-done']);
        expect(await target.findOpportunitiesByEmail('acme', 'gone@example.com')).toEqual([]);
      } finally {
        await target.close();
      }

      // Copied once: the directory is marked, and neither a second copy nor a service opens it.
      expect(existsSync(join(dir, copiedMarkerName))).toBe(true);
      const twice = await copy(dir, `${kind}:${dir}`, url);
      expect(twice.code).toBe(1);
      expect(twice.err).toContain('was copied to');
      // Without the mark, the target is not empty any more: refused, nothing written.
      await unlink(join(dir, copiedMarkerName));
      const nonEmpty = await copy(dir, `${kind}:${dir}`, url, ['--json']);
      expect(nonEmpty.code).toBe(1);
      expect(nonEmpty.err).toMatch(/is not empty: it holds 4 inbox, 4 dedupe, 1 decisions/);
      expect(nonEmpty.out).toBe('');
      expect(nonEmpty.err).not.toContain(password);
    });
  }

  it('refuses bad usage with exit code 2: no store at the source, no DATABASE_URL, another target', async () => {
    const dir = await tempDir();
    const url = databaseUrlForDir(database?.url ?? '', dir);
    const missing = await copy(dir, `sqlite:${join(dir, 'nothing-here')}`, url);
    expect([missing.code, missing.err]).toEqual([2, expect.stringContaining('There is no SQLite store in')]);
    expect(existsSync(join(dir, 'nothing-here'))).toBe(false);
    const io = captureIo({ cwd: dir, env: {} });
    expect(await runCli(['store', 'copy', '--from', 'sqlite', '--to', 'postgres'], io)).toBe(2);
    expect(io.err()).toContain('DATABASE_URL must be set');
    expect((await copy(dir, 'sqlite', url, [])).code).toBe(2);
    expect((await copy(dir, 'mysql:x', url)).err).toContain('--from must be sqlite or lowdb');
  });
});

describe.skipIf(database === undefined)('an installation moved from SQLite to PostgreSQL', () => {
  let world: World;
  const clock = createManualClock(Date.now());
  beforeEach(async () => {
    world = await startWorld(['acme'], { now: () => clock.now() });
  });
  afterEach(() => world.close());

  it('finishes on PostgreSQL the work left pending on SQLite: an action a crash left running, an undecided delivery', async () => {
    const dataDir = join(world.root, 'data');
    const url = databaseUrlForDir(database?.url ?? '', dataDir);
    const ada = world.lever.addOpportunity({
      name: 'Ada Lovelace',
      stageId: 'stage-tech',
      emails: ['ada@example.com'],
    });
    const bob = world.lever.addOpportunity({
      name: 'Bob Byte',
      stageId: 'stage-tech',
      emails: ['bob@example.com'],
    });
    const deliver = (server: { url: string }, opportunityId: string, token: string) =>
      world.lever.deliverWebhook({
        url: `${server.url}/webhooks/lever/acme`,
        event: 'candidateStageChange',
        data: { opportunityId, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
        signatureToken: world.env.ACME__TOKEN ?? '',
        token,
      });

    // On SQLite: Ada's send meets a vendor that is not taking sends (503): it waits for its retry.
    world.vendor.fault({ path: /send_test/, status: 503, times: 20 });
    const onSqlite = await startStagegate(world.root, { ...world.env, STAGEGATE_STORE: 'sqlite' }, [], clock);
    try {
      expect((await deliver(onSqlite, ada.id, 'delivery-ada')).status).toBe(202);
      await onSqlite.idle();
    } finally {
      await onSqlite.close();
    }
    world.vendor.clearFaults();
    expect(world.vendor.sends()).toEqual([]);
    // Bob's delivery was accepted just before the stop, and never decided.
    const sqlite = await createSqliteStore({ dir: dataDir, clock });
    try {
      await sqlite.acceptDelivery({
        tenant: 'acme',
        token: 'delivery-bob',
        event: 'candidateStageChange',
        triggeredAt: clock.now(),
        opportunityId: bob.id,
        payload: { data: { opportunityId: bob.id, toStageId: 'stage-tech', fromStageId: 'stage-phone' } },
      });
      const [waiting] = await sqlite.listActions({ status: 'pending' });
      expect(waiting).toMatchObject({ opportunityId: ada.id, attempts: 1 });
      expect(waiting?.nextAttemptAt).toBeGreaterThan(clock.now());
      // And a crash cut its second try short: the store says running.
      await sqlite.updateAction(waiting?.id ?? '', { status: 'running', attempts: 2 });
    } finally {
      await sqlite.close();
    }

    const copied = await copy(world.root, 'sqlite', url);
    expect(copied.err).toBe('');
    expect(copied.code).toBe(0);
    expect(copied.out).toMatch(/inbox items\s+2 {2}\(done 1, pending 1\)/);
    expect(copied.out).toContain('callback-secret');
    expect(copied.out).toContain('1 action(s) were left running');

    // The old store does not open again: its pending work runs only from PostgreSQL.
    const refused = await startStagegate(
      world.root,
      { ...world.env, STAGEGATE_STORE: 'sqlite' },
      [],
      clock,
    ).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'STORE_FAILED' });
    expect((refused as Error).message).toContain('was copied to');

    clock.advance(60 * 60 * 1000);
    const onPostgres = await startStagegate(
      world.root,
      { ...world.env, STAGEGATE_STORE: 'postgres', DATABASE_URL: url },
      [],
      clock,
    );
    try {
      await onPostgres.idle();
      const sends = world.vendor.sends();
      expect(sends.map((send) => (send.body.candidate as { email: string }).email).sort()).toEqual([
        'ada@example.com',
        'bob@example.com',
      ]);
      expect(world.lever.getOpportunity(ada.id)?.tags).toEqual(['Hired Assessments - Sent']);
      expect(world.lever.getOpportunity(bob.id)?.tags).toEqual(['Hired Assessments - Sent']);
      // A Lever retry of a delivery SQLite took is a duplicate on PostgreSQL.
      expect((await deliver(onPostgres, ada.id, 'delivery-ada')).status).toBe(200);
      // The callback URL handed to the vendor was made with the same secret: it is accepted.
      const adaSend = sends.find(
        (send) => (send.body.candidate as { email: string }).email === 'ada@example.com',
      );
      expect(await world.vendor.complete(adaSend?.partnerInterviewId ?? '', { score: 90 })).toBe(202);
      await onPostgres.idle();
      await onPostgres.idle();
      expect(world.lever.getOpportunity(ada.id)?.tags).toEqual(['Hired Assessments - Pass']);
    } finally {
      await onPostgres.close();
    }
  });
});
