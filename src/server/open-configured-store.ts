import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { localSingletons, type Singletons } from '../store/claims.js';
import { createLowdbStore } from '../store/lowdb/create-lowdb-store.js';
import { createPostgresStore, describeDatabase } from '../store/postgres/create-postgres-store.js';
import type { RateBudgets, ServiceSecrets } from '../store/postgres/shared-by-instances.js';
import { createSqliteStore } from '../store/sqlite/create-sqlite-store.js';
import { refuseCopiedStore } from '../store/store-directory.js';
import type { Retention, Store } from '../store/types.js';
import type { ServerEnv } from './read-server-env.js';

export interface StoreSettings {
  clock: Clock;
  log: Logger;
  retention: Retention;
}

export interface OpenedStore {
  store: Store;
  /** What keeps the poller and retention to one instance (on the embedded stores, this process). */
  singletons: Singletons;
  /** Lever's rate budget per credential across instances; null on the embedded stores (one bucket in this process). */
  rateBudgets: RateBudgets | null;
  /** The callback secret every instance shares; null on the embedded stores (a file in the data directory). */
  serviceSecrets: ServiceSecrets | null;
}

/** The store STAGEGATE_STORE names: sqlite or lowdb in the data directory, or PostgreSQL at DATABASE_URL. */
export async function openConfiguredStore(
  config: Pick<ServerEnv, 'store' | 'dataDir' | 'databaseUrl'> & Partial<Pick<ServerEnv, 'claimLeaseMs'>>,
  settings: StoreSettings,
): Promise<OpenedStore> {
  const { clock, log, retention } = settings;
  if (config.store === 'postgres') {
    const url = config.databaseUrl ?? '';
    await mkdir(config.dataDir, { recursive: true });
    const store = await createPostgresStore({
      url,
      clock,
      log,
      retention,
      ...(config.claimLeaseMs === undefined ? {} : { claimLeaseMs: config.claimLeaseMs }),
    });
    log.info({ database: describeDatabase(url) }, 'store opened on PostgreSQL');
    const { singletons, rateBudgets, serviceSecrets } = store;
    return { store, singletons, rateBudgets, serviceSecrets };
  }
  // A directory `stagegate store copy` moved to PostgreSQL stays shut: its pending work would run twice.
  await refuseCopiedStore(config.dataDir);
  const options = { dir: config.dataDir, clock, log, retention };
  const store =
    config.store === 'sqlite' ? await createSqliteStore(options) : await createLowdbStore(options);
  return { store, singletons: localSingletons, rateBudgets: null, serviceSecrets: null };
}
