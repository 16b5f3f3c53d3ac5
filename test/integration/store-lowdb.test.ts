import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { createFsyncAdapter } from '../../src/store/lowdb/create-fsync-adapter.js';
import { createLowdbStore, type LowdbStoreOptions } from '../../src/store/lowdb/create-lowdb-store.js';
import type { PartitionData } from '../../src/store/lowdb/partition.js';
import type { ActionRecord, DecisionRecord, DeliveryInput, InboxItem, Store } from '../../src/store/types.js';

const hour = 60 * 60 * 1000;
const day = 24 * hour;
const start = Date.UTC(2025, 0, 6, 9, 0, 0);
const email = 'ada.lovelace@example.com';

let dir: string;
let clock: ReturnType<typeof createManualClock>;
const opened: Store[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagegate-store-'));
  clock = createManualClock(start);
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function openStore(overrides: Partial<LowdbStoreOptions> = {}): Promise<Store> {
  const store = await createLowdbStore({ dir, clock, commitIntervalMs: 0, ...overrides });
  opened.push(store);
  return store;
}

/** The real adapter, with every write counted and each partition's written JSON kept; it can be made to fail. */
function createWatchedAdapter() {
  const watch = { writes: 0, failing: false, written: [] as PartitionData[] };
  const createAdapter = (file: string) => {
    const adapter = createFsyncAdapter<PartitionData>(file);
    return {
      read: () => adapter.read(),
      write(data: PartitionData) {
        watch.writes += 1;
        if (watch.failing) return Promise.reject(new Error('EIO: i/o error, write'));
        watch.written.push(JSON.parse(JSON.stringify(data)));
        return adapter.write(data);
      },
    };
  };
  return { watch, createAdapter };
}

function delivery(overrides: Partial<DeliveryInput> = {}): DeliveryInput {
  return {
    tenant: 'acme',
    token: 'token-1',
    event: 'candidateStageChange',
    triggeredAt: start - 1000,
    opportunityId: 'opp-1',
    payload: { data: { opportunityId: 'opp-1', toStageId: 'stage-assessment' } },
    ...overrides,
  };
}

function decisionFor(item: InboxItem, id = `dec-${item.id}`): DecisionRecord {
  return {
    id,
    tenant: item.tenant,
    opportunityId: item.opportunityId,
    inboxId: item.id,
    createdAt: clock.now(),
    decision: { facts: { candidate: { email } }, matched: ['send-python-test'] },
  };
}

function actionsFor(
  decision: DecisionRecord,
  count: number,
  overrides: Partial<ActionRecord> = {},
): ActionRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${decision.id}:${index}`,
    tenant: decision.tenant,
    opportunityId: decision.opportunityId,
    decisionId: decision.id,
    index,
    action: { type: 'lever.addTags', tags: ['Assessment sent'] },
    status: 'pending' as const,
    attempts: 0,
    nextAttemptAt: clock.now(),
    createdAt: clock.now(),
    updatedAt: clock.now(),
    ...overrides,
  }));
}

async function readPartition(tenant: string): Promise<PartitionData> {
  return JSON.parse(await readFile(join(dir, `${tenant}.json`), 'utf8'));
}

async function readAllFiles(): Promise<string> {
  const names = await readdir(dir);
  const texts = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
  return texts.join('\n');
}

describe('lowdb store: inbox', () => {
  it('treats a token seen within the dedupe window as a duplicate, and writes nothing for it', async () => {
    const { watch, createAdapter } = createWatchedAdapter();
    const store = await openStore({ createAdapter });
    const first = await store.acceptDelivery(delivery());
    const writes = watch.writes;

    clock.advance(71 * hour);
    const again = await store.acceptDelivery(delivery({ payload: { other: true } }));

    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ duplicate: true, item: first.item });
    expect(watch.writes).toBe(writes);
    expect(await store.pendingInbox()).toHaveLength(1);
  });

  it('accepts the token again after the window, and keeps tokens apart per tenant', async () => {
    const store = await openStore();
    const first = await store.acceptDelivery(delivery());
    const otherTenant = await store.acceptDelivery(delivery({ tenant: 'globex' }));
    clock.advance(72 * hour);
    const replay = await store.acceptDelivery(delivery());

    expect(otherTenant.duplicate).toBe(false);
    expect(replay.duplicate).toBe(false);
    expect(replay.item.id).not.toBe(first.item.id);
    expect((await store.pendingInbox('acme')).map((item) => item.id)).toEqual([
      first.item.id,
      replay.item.id,
    ]);
  });

  it('has the delivery on disk when acceptDelivery resolves, and a fresh store finds it', async () => {
    const store = await openStore();
    const { item } = await store.acceptDelivery(delivery());

    const onDisk = await readPartition('acme');
    expect(onDisk.inbox).toEqual([item]);
    expect(item).toMatchObject({ status: 'pending', receivedAt: start, tenant: 'acme' });

    await store.close();
    const reopened = await openStore();
    expect(await reopened.getInboxItem(item.id)).toEqual(item);
    expect((await reopened.acceptDelivery(delivery())).duplicate).toBe(true);
  });

  it('lists pending items in arrival order across tenants', async () => {
    const store = await openStore();
    const a = await store.acceptDelivery(delivery({ token: 'a' }));
    clock.advance(1);
    const b = await store.acceptDelivery(delivery({ token: 'b', tenant: 'globex' }));
    clock.advance(1);
    const c = await store.acceptDelivery(delivery({ token: 'c' }));
    await store.completeInbox(b.item.id, { skipped: 'not a trigger stage' });

    expect((await store.pendingInbox()).map((item) => item.id)).toEqual([a.item.id, c.item.id]);
    expect(await store.pendingInbox('globex')).toEqual([]);
  });

  it('takes any token as a plain key, even __proto__', async () => {
    const store = await openStore();
    expect((await store.acceptDelivery(delivery({ token: '__proto__' }))).duplicate).toBe(false);
    expect((await store.acceptDelivery(delivery({ token: '__proto__' }))).duplicate).toBe(true);
    await expect(store.acceptDelivery(delivery({ token: '' }))).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('hands out copies: changing a returned record changes nothing stored', async () => {
    const store = await openStore();
    const { item } = await store.acceptDelivery(delivery());
    item.status = 'done';
    expect((await store.getInboxItem(item.id))?.status).toBe('pending');
  });
});

describe('lowdb store: completing an inbox item', () => {
  it('writes the item, its decision and its actions in one commit', async () => {
    const { watch, createAdapter } = createWatchedAdapter();
    const store = await openStore({ createAdapter });
    const { item } = await store.acceptDelivery(delivery());
    const decision = decisionFor(item);

    const done = await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 3) });

    expect(done).toMatchObject({ status: 'done', decisionId: decision.id });
    // Every file version ever written has either none of the outcome or all of it.
    for (const written of watch.written) {
      const state = written.inbox[0]?.status;
      expect([state, written.decisions.length, written.actions.length]).toEqual(
        state === 'done' ? ['done', 1, 3] : ['pending', 0, 0],
      );
    }
    const onDisk = await readPartition('acme');
    expect(onDisk.decisions).toEqual([decision]);
    expect(onDisk.actions.map((action) => action.id)).toEqual([
      `${decision.id}:0`,
      `${decision.id}:1`,
      `${decision.id}:2`,
    ]);
  });

  it('writes none of it when the commit fails, and all of it once the disk is back', async () => {
    const { watch, createAdapter } = createWatchedAdapter();
    const store = await openStore({ createAdapter });
    const { item } = await store.acceptDelivery(delivery());
    const decision = decisionFor(item);

    watch.failing = true;
    await expect(
      store.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) }),
    ).rejects.toMatchObject({
      code: 'STORE_FAILED',
    });
    const onDisk = await readPartition('acme');
    expect([onDisk.inbox[0]?.status, onDisk.decisions.length, onDisk.actions.length]).toEqual([
      'pending',
      0,
      0,
    ]);

    // The caller retries; the item is done in memory already, so the retry waits for a write that lands.
    watch.failing = false;
    await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) });
    const after = await readPartition('acme');
    expect([after.inbox[0]?.status, after.decisions.length, after.actions.length]).toEqual(['done', 1, 2]);
  });

  it('is idempotent: a second call writes nothing and returns the item as it is', async () => {
    const { watch, createAdapter } = createWatchedAdapter();
    const store = await openStore({ createAdapter });
    const { item } = await store.acceptDelivery(delivery());
    const decision = decisionFor(item);
    const first = await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) });
    const writes = watch.writes;

    const second = await store.completeInbox(item.id, { skipped: 'again' });

    expect(second).toEqual(first);
    expect(watch.writes).toBe(writes);
    expect(await store.listDecisions({ tenant: 'acme' })).toHaveLength(1);
    expect(await store.listActions()).toHaveLength(1);
  });

  it('records a skip with its reason', async () => {
    const store = await openStore();
    const { item } = await store.acceptDelivery(delivery());
    await store.completeInbox(item.id, { skipped: 'stage is not a trigger' });
    expect(await store.getInboxItem(item.id)).toMatchObject({
      status: 'skipped',
      reason: 'stage is not a trigger',
    });
  });

  it('refuses an outcome that does not belong to the item, and an unknown item', async () => {
    const store = await openStore();
    const { item } = await store.acceptDelivery(delivery());
    const decision = { ...decisionFor(item), tenant: 'globex' };
    await expect(store.completeInbox(item.id, { decision, actions: [] })).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    expect((await store.getInboxItem(item.id))?.status).toBe('pending');
    await expect(store.completeInbox('inb_missing', { skipped: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('lowdb store: actions', () => {
  it('gives due actions oldest first, by createdAt then index, up to the limit', async () => {
    const store = await openStore();
    const first = await store.acceptDelivery(delivery({ token: 'a' }));
    clock.advance(1000);
    const second = await store.acceptDelivery(delivery({ token: 'b', tenant: 'globex' }));
    const later = decisionFor(second.item, 'dec-later');
    // Completed first, but created later.
    await store.completeInbox(second.item.id, { decision: later, actions: actionsFor(later, 2).reverse() });
    clock.set(start);
    const earlier = decisionFor(first.item, 'dec-earlier');
    const earlierActions = actionsFor(earlier, 3);
    earlierActions[1] = { ...(earlierActions[1] as ActionRecord), nextAttemptAt: start + 10 * hour };
    await store.completeInbox(first.item.id, { decision: earlier, actions: earlierActions });

    const due = await store.dueActions(start + 1000, 10);
    expect(due.map((action) => action.id)).toEqual([
      'dec-earlier:0',
      'dec-earlier:2',
      'dec-later:0',
      'dec-later:1',
    ]);
    expect((await store.dueActions(start + 1000, 2)).map((action) => action.id)).toEqual([
      'dec-earlier:0',
      'dec-earlier:2',
    ]);
    expect((await store.dueActions(start, 10)).map((action) => action.id)).toEqual([
      'dec-earlier:0',
      'dec-earlier:2',
    ]);
  });

  it('never hands out an action that is not on disk yet', async () => {
    const { watch, createAdapter } = createWatchedAdapter();
    const store = await openStore({ createAdapter });
    const { item } = await store.acceptDelivery(delivery());
    const decision = decisionFor(item);
    watch.failing = true;
    await expect(
      store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) }),
    ).rejects.toMatchObject({
      code: 'STORE_FAILED',
    });

    expect(await store.dueActions(clock.now(), 10)).toEqual([]);
    watch.failing = false;
    expect((await store.dueActions(clock.now(), 10)).map((action) => action.id)).toEqual([
      `${decision.id}:0`,
    ]);
    expect((await readPartition('acme')).actions).toHaveLength(1);
  });

  it('updates an action durably and drops it from the due list once it is running', async () => {
    const store = await openStore();
    const { item } = await store.acceptDelivery(delivery());
    const decision = decisionFor(item);
    await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) });
    clock.advance(5);

    const running = await store.updateAction(`${decision.id}:0`, { status: 'running', attempts: 1 });

    expect(running).toMatchObject({ status: 'running', attempts: 1, updatedAt: start + 5, tenant: 'acme' });
    expect(await store.dueActions(clock.now(), 10)).toEqual([]);
    expect((await readPartition('acme')).actions[0]).toEqual(running);
    expect(await store.listActions({ status: 'running', opportunityId: 'opp-1' })).toEqual([running]);
    await expect(store.updateAction('nope:0', { status: 'done' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('lowdb store: invitations', () => {
  it('puts, updates and lists invitations', async () => {
    const store = await openStore();
    await store.putInvitation({
      id: 'inv-1',
      tenant: 'acme',
      opportunityId: 'opp-1',
      test: 'Backend - Python',
      providerTestId: 't-101',
      status: 'sending',
      createdAt: start,
      updatedAt: start,
    });
    clock.advance(10);
    const sent = await store.updateInvitation('inv-1', { status: 'sent', vendorInvitationId: 'v-9' });

    expect(sent).toMatchObject({ status: 'sent', vendorInvitationId: 'v-9', updatedAt: start + 10 });
    expect(await store.listInvitations({ opportunityId: 'opp-1', status: 'sent' })).toEqual([sent]);
    expect(await store.listInvitations({ tenant: 'globex' })).toEqual([]);
    expect((await readPartition('acme')).invitations).toEqual([sent]);
  });
});

describe('lowdb store: purge and retention', () => {
  it('leaves a tombstone and no personal data in any file on disk', async () => {
    const store = await openStore();
    const { item } = await store.acceptDelivery(
      delivery({ payload: { data: { opportunityId: 'opp-1' }, candidate: { email } } }),
    );
    const other = await store.acceptDelivery(delivery({ token: 'other', opportunityId: 'opp-2' }));
    const decision = decisionFor(item);
    const actions = actionsFor(decision, 2, { action: { type: 'lever.addNote', text: `Invited ${email}` } });
    await store.completeInbox(item.id, { decision, actions });
    await store.updateAction(`${decision.id}:0`, { status: 'done', result: { sentTo: email } });
    await store.putInvitation({
      id: 'inv-1',
      tenant: 'acme',
      opportunityId: 'opp-1',
      test: 'Backend - Python',
      providerTestId: 't-101',
      status: 'completed',
      candidate: { name: 'Ada Lovelace', email },
      score: 91,
      reportUrl: 'https://vendor.example/reports/1',
      createdAt: start,
      updatedAt: start,
    });
    expect(await readAllFiles()).toContain(email);

    const tombstone = await store.purgeCandidate('acme', 'opp-1', start + day);
    // The pending note finishes after the purge; what it reports is not kept either.
    await store.updateAction(`${decision.id}:1`, { status: 'done', result: { note: `for ${email}` } });

    expect(tombstone).toEqual({ tenant: 'acme', opportunityId: 'opp-1', purgedAt: start + day });
    expect(await readAllFiles()).not.toContain(email);
    expect(await readAllFiles()).not.toContain('Ada Lovelace');
    expect((await store.getInboxItem(item.id))?.payload).toEqual({ purged: true });
    expect((await store.getDecision(decision.id))?.decision).toEqual({ purged: true });
    expect(await store.getInvitation('inv-1')).toMatchObject({ score: 91, status: 'completed' });
    expect((await store.getInboxItem(other.item.id))?.payload).toEqual(delivery().payload);

    await store.close();
    const reopened = await openStore();
    expect(await reopened.getTombstone('acme', 'opp-1')).toEqual(tombstone);
    expect(await reopened.getTombstone('acme', 'opp-2')).toBeUndefined();
    expect(await reopened.getTombstone('nobody', 'opp-1')).toBeUndefined();
  });

  it('prunes finished records past the retention, never pending ones, and on disk', async () => {
    const store = await openStore();
    const old = await store.acceptDelivery(delivery({ token: 'old' }));
    const waiting = await store.acceptDelivery(delivery({ token: 'waiting' }));
    const oldDecision = decisionFor(old.item);
    await store.completeInbox(old.item.id, { decision: oldDecision, actions: actionsFor(oldDecision, 1) });
    await store.updateAction(`${oldDecision.id}:0`, { status: 'done' });
    clock.advance(20 * day);
    const recent = await store.acceptDelivery(delivery({ token: 'recent' }));
    await store.completeInbox(recent.item.id, { skipped: 'not a trigger stage' });
    clock.advance(11 * day);

    const report = await store.prune(clock.now());

    expect(report).toEqual({
      inbox: [old.item.id],
      decisions: [oldDecision.id],
      actions: [`${oldDecision.id}:0`],
      dedupeTokens: 3,
    });
    expect(await store.getInboxItem(old.item.id)).toBeUndefined();
    expect(await store.getDecision(oldDecision.id)).toBeUndefined();
    expect((await store.pendingInbox()).map((item) => item.id)).toEqual([waiting.item.id]);
    const onDisk = await readPartition('acme');
    expect(onDisk.inbox.map((item) => item.id)).toEqual([waiting.item.id, recent.item.id]);
    expect(onDisk.decisions).toEqual([]);
    expect(onDisk.dedupe).toEqual({});
    expect(await store.prune(clock.now())).toEqual({
      inbox: [],
      decisions: [],
      actions: [],
      dedupeTokens: 0,
    });
  });
});

describe('lowdb store: group commit and failures', () => {
  it('carries 100 concurrent deliveries in a handful of writes, each resolved once on disk', async () => {
    const { watch, createAdapter } = createWatchedAdapter();
    const store = await openStore({ createAdapter, commitIntervalMs: 5 });

    const accepted = await Promise.all(
      Array.from({ length: 100 }, (_, n) => store.acceptDelivery(delivery({ token: `token-${n}` }))),
    );

    expect(watch.writes).toBeLessThanOrEqual(2);
    const onDisk = await readPartition('acme');
    expect(onDisk.inbox.map((item) => item.id)).toEqual(accepted.map(({ item }) => item.id));
  });

  it('rejects every waiter of a failed write with STORE_FAILED, and acknowledges the delivery once it is written', async () => {
    const { watch, createAdapter } = createWatchedAdapter();
    const store = await openStore({ createAdapter });
    watch.failing = true;

    const results = await Promise.allSettled([
      store.acceptDelivery(delivery({ token: 'a' })),
      store.acceptDelivery(delivery({ token: 'b' })),
    ]);

    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    for (const result of results) {
      expect(result).toMatchObject({
        reason: { code: 'STORE_FAILED', message: expect.stringContaining('acme.json') },
      });
    }
    await expect(readFile(join(dir, 'acme.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(store.checkWritable()).rejects.toMatchObject({ code: 'STORE_FAILED' });

    // Lever retries the delivery: it is a duplicate in memory, and answered only once it is on disk.
    watch.failing = false;
    const retried = await store.acceptDelivery(delivery({ token: 'a' }));
    expect(retried.duplicate).toBe(true);
    expect((await readPartition('acme')).inbox.map((item) => item.token)).toEqual(['a', 'b']);
    await expect(store.checkWritable()).resolves.toBeUndefined();
  });

  it('refuses to open over a corrupt file, naming it, and does not start empty', async () => {
    const store = await openStore();
    await store.acceptDelivery(delivery());
    await store.close();
    const file = join(dir, 'acme.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.length / 2));

    const error = await createLowdbStore({ dir, clock }).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'STORE_FAILED', details: { file } });
    expect((error as Error).message).toContain(file);
    // The failed open let go of the lock: once the file is restored, the store opens.
    await writeFile(file, text);
    const reopened = await openStore();
    expect(await reopened.pendingInbox()).toHaveLength(1);
  });

  it('drops the temporary file of a write that never completed', async () => {
    const store = await openStore();
    await store.acceptDelivery(delivery());
    await store.close();
    await writeFile(join(dir, 'acme.json.tmp'), '{"version":1,"tena');

    const reopened = await openStore();

    expect(await reopened.pendingInbox()).toHaveLength(1);
    expect((await readdir(dir)).sort()).toEqual(['.lock', 'acme.json']);
  });

  it('refuses a second store on the same directory, naming the pid that holds it', async () => {
    await openStore();
    const error = await createLowdbStore({ dir, clock }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_FAILED', details: { pid: process.pid } });
    expect((error as Error).message).toContain(`in use by process ${process.pid}`);
  });

  it('refuses work after close, and close releases the directory', async () => {
    const store = await openStore();
    await store.checkWritable();
    await store.close();
    await expect(store.acceptDelivery(delivery())).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await expect(store.checkWritable()).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await expect(openStore()).resolves.toBeDefined();
  });
});

describe('lowdb store: crash', () => {
  it('finds every acknowledged delivery after the writer is killed with SIGKILL', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/store-crash-writer.ts', import.meta.url));
    const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, 'lowdb', dir], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );

    let childPid = 0;
    const acknowledged: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith('ready ')) childPid = Number(line.slice('ready '.length));
          else acknowledged.push(line);
        }
        if (acknowledged.length >= 300) resolve();
      });
      child.on('exit', () => reject(new Error(`the writer exited early: ${stderr}`)));
    });

    // While the writer lives, the directory is its own.
    const locked = await createLowdbStore({ dir, clock }).catch((e: unknown) => e);
    expect((locked as Error).message).toContain(`in use by process ${childPid}`);

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const store = await openStore();
    const missing: string[] = [];
    for (const id of acknowledged) if ((await store.getInboxItem(id)) === undefined) missing.push(id);
    expect(missing).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);
  });
});
