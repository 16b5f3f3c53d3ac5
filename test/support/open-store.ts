import { join } from 'node:path';
import { systemClock } from '../../src/kernel/clock.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { createPostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { createSqliteStore } from '../../src/store/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { databaseUrlForDir } from './schema-for-dir.js';

/**
 * The backend the tests run the service on: STAGEGATE_TEST_STORE (lowdb | sqlite | postgres), else the
 * service's default. postgres puts each data directory in a schema of its own in the database at
 * STAGEGATE_TEST_DATABASE_URL.
 */
export const testStoreKind: 'lowdb' | 'sqlite' | 'postgres' =
  process.env.STAGEGATE_TEST_STORE === 'lowdb' || process.env.STAGEGATE_TEST_STORE === 'postgres'
    ? process.env.STAGEGATE_TEST_STORE
    : 'sqlite';

/** DATABASE_URL for a service on PostgreSQL whose data directory is `dir`. */
export function testDatabaseUrl(dir: string): string {
  const base = process.env.STAGEGATE_TEST_DATABASE_URL;
  if (base === undefined || base === '') {
    throw new Error(
      'STAGEGATE_TEST_STORE=postgres needs STAGEGATE_TEST_DATABASE_URL (a database the tests may fill).',
    );
  }
  return databaseUrlForDir(base, dir);
}

/** The environment that puts a service in workspace `root` on the test backend (its data directory: root/data). */
export function testStoreEnv(root: string): Record<string, string> {
  return testStoreKind === 'postgres'
    ? { STAGEGATE_STORE: 'postgres', DATABASE_URL: testDatabaseUrl(join(root, 'data')) }
    : { STAGEGATE_STORE: testStoreKind };
}

/** Opens a service's data directory the way the service does, to seed or inspect it while it is down. */
export function openStore(dir: string): Promise<Store> {
  if (testStoreKind === 'postgres')
    return createPostgresStore({ url: testDatabaseUrl(dir), clock: systemClock });
  return testStoreKind === 'lowdb'
    ? createLowdbStore({ dir, clock: systemClock })
    : createSqliteStore({ dir, clock: systemClock });
}
