import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { refuseCopiedStore } from '../store/copied-marker.js';
import { createLowdbStore } from '../store/lowdb/create-lowdb-store.js';
import { createPostgresStore } from '../store/postgres/create-postgres-store.js';
import { describeDatabase } from '../store/postgres/describe-database.js';
import { localSingletons, type Singletons } from '../store/singletons.js';
import { createSqliteStore } from '../store/sqlite/create-sqlite-store.js';
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
}

/** The store STAGEGATE_STORE names: sqlite or lowdb in the data directory, or PostgreSQL at DATABASE_URL. */
export async function openConfiguredStore(
  config: Pick<ServerEnv, 'store' | 'dataDir' | 'databaseUrl'>,
  settings: StoreSettings,
): Promise<OpenedStore> {
  const { clock, log, retention } = settings;
  if (config.store === 'postgres') {
    const url = config.databaseUrl ?? '';
    // The data directory still holds what is not in the database yet (the generated callback secret).
    await mkdir(config.dataDir, { recursive: true });
    const store = await createPostgresStore({ url, clock, log, retention });
    log.info({ database: describeDatabase(url) }, 'store opened on PostgreSQL');
    return { store, singletons: store.singletons };
  }
  // A directory `stagegate store copy` moved to PostgreSQL stays shut: its pending work would run twice.
  await refuseCopiedStore(config.dataDir);
  const options = { dir: config.dataDir, clock, log, retention };
  const store =
    config.store === 'sqlite' ? await createSqliteStore(options) : await createLowdbStore(options);
  return { store, singletons: localSingletons };
}
