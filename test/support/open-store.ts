import { systemClock } from '../../src/kernel/clock.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { createSqliteStore } from '../../src/store/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/store/types.js';

/** The backend the tests run the service on: STAGEGATE_TEST_STORE (lowdb | sqlite), else the service's default. */
export const testStoreKind: 'lowdb' | 'sqlite' =
  process.env.STAGEGATE_TEST_STORE === 'lowdb' ? 'lowdb' : 'sqlite';

/** Opens a service's data directory the way the service does, to seed or inspect it while it is down. */
export function openStore(dir: string): Promise<Store> {
  return testStoreKind === 'lowdb'
    ? createLowdbStore({ dir, clock: systemClock })
    : createSqliteStore({ dir, clock: systemClock });
}
