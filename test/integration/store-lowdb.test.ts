import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Adapter } from 'lowdb';
import { describe, expect, it } from 'vitest';
import { createLowdbStore, type LowdbStoreOptions } from '../../src/store/lowdb/create-lowdb-store.js';
import { createFsyncAdapter } from '../../src/store/lowdb/group-commit.js';
import { isPartitionFileName, type PartitionData } from '../../src/store/lowdb/partition.js';
import type { Store } from '../../src/store/types.js';
import { describeStoreContract, type OnDisk, type StoreBackend } from './store-contract.js';
import { actionsFor, clock, decisionFor, delivery, useStoreTestbed } from './store-testbed.js';

// Every write of the stores the contract opens, counted: a call that must write nothing leaves it as it is.
let contractWrites = 0;

function countWrites(file: string): Adapter<PartitionData> {
  const adapter = createFsyncAdapter<PartitionData>(file);
  return {
    read: () => adapter.read(),
    write(data) {
      contractWrites += 1;
      return adapter.write(data);
    },
  };
}

async function readPartition(dir: string, tenant: string): Promise<PartitionData> {
  return JSON.parse(await readFile(join(dir, `${tenant}.json`), 'utf8'));
}

const lowdb: StoreBackend = {
  name: 'lowdb',
  open: (dir) => createLowdbStore({ dir, clock, commitIntervalMs: 0, createAdapter: countWrites }),
  acmeFile: (dir) => join(dir, 'acme.json'),
  async readDisk(dir) {
    const onDisk: OnDisk = { inbox: [], decisions: [], actions: [], invitations: [], dedupeTokens: [] };
    for (const name of (await readdir(dir)).filter(isPartitionFileName).sort()) {
      const data: PartitionData = JSON.parse(await readFile(join(dir, name), 'utf8'));
      onDisk.inbox.push(...data.inbox);
      onDisk.decisions.push(...data.decisions);
      onDisk.actions.push(...data.actions);
      onDisk.invitations.push(...data.invitations);
      onDisk.dedupeTokens.push(...Object.keys(data.dedupe));
    }
    return onDisk;
  },
  writeMark: async () => contractWrites,
};

describeStoreContract(lowdb);

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

describe('lowdb store: partitions, group commit and failures', () => {
  const bed = useStoreTestbed();

  async function openStore(overrides: Partial<LowdbStoreOptions> = {}): Promise<Store> {
    return bed.track(await createLowdbStore({ dir: bed.dir, clock, commitIntervalMs: 0, ...overrides }));
  }

  it('writes the item, its decision and its actions in one commit: no file version has a part of it', async () => {
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
    const onDisk = await readPartition(bed.dir, 'acme');
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
    const onDisk = await readPartition(bed.dir, 'acme');
    expect([onDisk.inbox[0]?.status, onDisk.decisions.length, onDisk.actions.length]).toEqual([
      'pending',
      0,
      0,
    ]);

    // The caller retries; the item is done in memory already, so the retry waits for a write that lands.
    watch.failing = false;
    await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) });
    const after = await readPartition(bed.dir, 'acme');
    expect([after.inbox[0]?.status, after.decisions.length, after.actions.length]).toEqual(['done', 1, 2]);
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
    expect((await readPartition(bed.dir, 'acme')).actions).toHaveLength(1);
  });

  it('carries 100 concurrent deliveries in a handful of writes, each resolved once on disk', async () => {
    const { watch, createAdapter } = createWatchedAdapter();
    const store = await openStore({ createAdapter, commitIntervalMs: 5 });

    const accepted = await Promise.all(
      Array.from({ length: 100 }, (_, n) => store.acceptDelivery(delivery({ token: `token-${n}` }))),
    );

    expect(watch.writes).toBeLessThanOrEqual(2);
    const onDisk = await readPartition(bed.dir, 'acme');
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
    await expect(readFile(join(bed.dir, 'acme.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(store.checkWritable()).rejects.toMatchObject({ code: 'STORE_FAILED' });

    // Lever retries the delivery: it is a duplicate in memory, and answered only once it is on disk.
    watch.failing = false;
    const retried = await store.acceptDelivery(delivery({ token: 'a' }));
    expect(retried.duplicate).toBe(true);
    expect((await readPartition(bed.dir, 'acme')).inbox.map((item) => item.token)).toEqual(['a', 'b']);
    await expect(store.checkWritable()).resolves.toBeUndefined();
  });

  it('drops the temporary file of a write that never completed', async () => {
    const store = await openStore();
    await store.acceptDelivery(delivery());
    await store.close();
    await writeFile(join(bed.dir, 'acme.json.tmp'), '{"version":1,"tena');

    const reopened = await openStore();

    expect(await reopened.pendingInbox()).toHaveLength(1);
    expect((await readdir(bed.dir)).sort()).toEqual(['.lock', 'acme.json']);
  });
});
