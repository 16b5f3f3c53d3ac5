import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, sqliteFileName } from '../../src/store/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { describeStoreContract, type OnDisk, type StoreBackend } from './store-contract.js';
import { actionsFor, clock, decisionFor, delivery, email, useStoreTestbed } from './store-testbed.js';

/** What another connection reads from the file: only what is committed. */
function readCommitted(dir: string): OnDisk {
  const reader = new Database(join(dir, sqliteFileName), { readonly: true });
  try {
    const records = <T>(table: 'inbox' | 'decisions' | 'actions' | 'invitations'): T[] =>
      reader
        .prepare(`SELECT record FROM ${table} ORDER BY seq`)
        .pluck()
        .all()
        .map((text) => JSON.parse(text as string) as T);
    return {
      inbox: records('inbox'),
      decisions: records('decisions'),
      actions: records('actions'),
      invitations: records('invitations'),
      dedupeTokens: reader
        .prepare('SELECT token FROM dedupe ORDER BY tenant, token')
        .pluck()
        .all() as string[],
    };
  } finally {
    reader.close();
  }
}

const sqlite: StoreBackend = {
  name: 'sqlite',
  open: (dir) => createSqliteStore({ dir, clock }),
  acmeFile: (dir) => join(dir, sqliteFileName),
  readDisk: async (dir) => readCommitted(dir),
  // The bytes of the database and of its write-ahead log (not of the -shm index, which readers change too).
  async writeMark(dir) {
    const file = join(dir, sqliteFileName);
    const texts = await Promise.all(
      [file, `${file}-wal`].map((name) => readFile(name, 'latin1').catch(() => '')),
    );
    return texts.join('\n');
  },
};

describeStoreContract(sqlite);

describe('sqlite store: transactions and the schema', () => {
  const bed = useStoreTestbed();

  async function openStore(): Promise<Store> {
    return bed.track(await sqlite.open(bed.dir));
  }

  it('never hands out an action that is not committed yet', async () => {
    const store = await openStore();
    const { item } = await store.acceptDelivery(delivery());
    const decision = decisionFor(item);
    const completing = store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) });

    // Reads see only committed transactions: the completion is still queued for the next one.
    expect(await store.dueActions(clock.now(), 10)).toEqual([]);
    await completing;
    expect((await store.dueActions(clock.now(), 10)).map((action) => action.id)).toEqual([
      `${decision.id}:0`,
    ]);
  });

  it('refuses a SQLite file of another program', async () => {
    const file = join(bed.dir, sqliteFileName);
    const foreign = new Database(file);
    foreign.exec('CREATE TABLE notes (text TEXT)');
    foreign.close();
    const error = await createSqliteStore({ dir: bed.dir, clock }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_FAILED', details: { file } });
    expect((error as Error).message).toContain('not a stagegate store');
  });

  it('brings a version 1 store to version 2: its e-mails indexed, its records untouched', async () => {
    const store = await openStore();
    const { item } = await store.acceptDelivery(delivery());
    await store.completeInbox(item.id, { decision: { ...decisionFor(item), email }, actions: [] });
    await store.close();
    // Version 1 as it was: no e-mail columns.
    const file = join(bed.dir, sqliteFileName);
    const old = new Database(file);
    old.exec(`DROP INDEX decisions_by_email; ALTER TABLE decisions DROP COLUMN email;
      DROP INDEX invitations_by_email; ALTER TABLE invitations DROP COLUMN email;`);
    old.pragma('user_version = 1');
    old.close();

    const reopened = await openStore();

    expect(await reopened.findOpportunitiesByEmail('acme', email.toUpperCase())).toEqual(['opp-1']);
    expect((await reopened.getDecision(`dec-${item.id}`))?.email).toBe(email);
    await reopened.close();
    const check = new Database(file, { readonly: true });
    try {
      expect(check.pragma('user_version', { simple: true })).toBe(2);
      // The lookup by e-mail reads the index, not every decision.
      const plan = check
        .prepare('EXPLAIN QUERY PLAN SELECT opportunity_id FROM decisions WHERE tenant = ? AND email = ?')
        .all('acme', email) as { detail: string }[];
      expect(plan.map((row) => row.detail).join('\n')).toContain('decisions_by_email');
    } finally {
      check.close();
    }
  });

  it('refuses a store of a later schema version than it knows', async () => {
    const store = await openStore();
    await store.close();
    const file = join(bed.dir, sqliteFileName);
    const later = new Database(file);
    later.pragma('user_version = 3');
    later.close();
    const error = await createSqliteStore({ dir: bed.dir, clock }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_FAILED' });
    expect((error as Error).message).toContain('schema version is 3, expected 2');
  });
});
