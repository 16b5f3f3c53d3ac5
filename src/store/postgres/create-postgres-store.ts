import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import type { Singletons } from '../claims.js';
import { defaultRetention } from '../records.js';
import type { Retention, Store } from '../types.js';
import { createActionOperations } from './create-action-operations.js';
import { clientSql, createBatchCommit, storeFailed } from './create-batch-commit.js';
import { createCandidateOperations, createConsoleOperations } from './create-console-operations.js';
import { createCredentialOperations } from './create-credential-operations.js';
import { createInboxOperations } from './create-inbox-operations.js';
import { createInvitationOperations } from './create-invitation-operations.js';
import { createRetentionOperations } from './create-retention-operations.js';
import { migrate } from './migrations.js';
import type { PostgresContext, Sql } from './postgres-context.js';
import {
  createPostgresSingletons,
  createRateBudgets,
  createServiceSecrets,
  type RateBudgets,
  type ServiceSecrets,
} from './shared-by-instances.js';

export interface PostgresStoreOptions {
  /** DATABASE_URL: postgres://user:password@host:port/database. */
  url: string;
  clock: Clock;
  log?: Logger;
  retention?: Partial<Retention>;
  /**
   * The schema the tables live in: else the first of `search_path` in the URL's `options` parameter
   * (`?options=-c search_path=stagegate`), else public. Tests give each store one of its own.
   */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** How long a claim on an opportunity's actions lasts unless renewed (default 15 s; the executor renews it every second). */
  claimLeaseMs?: number;
}

/**
 * The store, and what the instances that share it share besides: the leases that keep the poller and
 * retention to one of them, Lever's rate budget per credential, and the callback secret.
 */
export interface PostgresStore extends Store {
  readonly singletons: Singletons;
  readonly rateBudgets: RateBudgets;
  readonly serviceSecrets: ServiceSecrets;
}

/**
 * The PostgreSQL store: any number of them (instances) may share one database. Every change resolves
 * once the transaction that carries it is committed; dedupe tokens are rows with a unique key, so a
 * token is new once in the whole database.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const schema = options.schema ?? schemaOfUrl(options.url) ?? 'public';
  const database = describeDatabase(options.url);
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StagegateError('INTERNAL', `Not a schema name: ${JSON.stringify(schema)}.`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    options: `-c search_path=${schema}`,
    application_name: 'stagegate',
  });
  // An idle connection that breaks (the server restarted) is dropped and replaced; it must not crash us.
  pool.on('error', (err) =>
    options.log?.warn({ err: { message: err.message }, database }, 'database connection lost'),
  );
  // One that breaks while checked out (mid-transaction) fails its query, and also emits 'error' on
  // its client, where the pool listens only while it is idle: unheard, that would end the process.
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    const client = await pool.connect();
    try {
      await migrate(client, schema, database);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw storeFailed('Could not open the PostgreSQL store', error, database);
  }
  return assembleStore(options, pool, database, schema);
}

function assembleStore(
  options: PostgresStoreOptions,
  pool: pg.Pool,
  database: string,
  schema: string,
): PostgresStore {
  const { log } = options;
  const singletons = createPostgresSingletons({ pool, schema, database, ...(log ? { log } : {}) });
  let closed = false;
  const batch = createBatchCommit({
    pool,
    database,
    onCommitFailed: (err) => log?.error({ err: { message: err.message }, database }, 'store write failed'),
  });
  function assertOpen(): void {
    if (closed) {
      throw new StagegateError('STORE_FAILED', `The store on ${database} is closed.`, {
        details: { database },
      });
    }
  }
  const poolSql = clientSql(pool as unknown as pg.ClientBase);
  const read: Sql = {
    async rows<T>(text: string, params?: readonly unknown[]) {
      assertOpen();
      return poolSql.rows<T>(text, params).catch((error: unknown) => {
        throw storeFailed('Could not read from PostgreSQL', error, database);
      });
    },
    async run(text, params) {
      assertOpen();
      return poolSql.run(text, params).catch((error: unknown) => {
        throw storeFailed('Could not write to PostgreSQL', error, database);
      });
    },
  };
  const context: PostgresContext = {
    clock: options.clock,
    log,
    retention: { ...defaultRetention, ...options.retention },
    owner: randomUUID(),
    claimLeaseMs: options.claimLeaseMs ?? 15_000,
    write(change, together) {
      assertOpen();
      return batch.run(change, together);
    },
    read,
  };

  return {
    ...createInboxOperations(context),
    ...createActionOperations(context),
    ...createInvitationOperations(context),
    ...createRetentionOperations(context),
    ...createCandidateOperations(context),
    ...createConsoleOperations(context),
    ...createCredentialOperations(context),
    rateBudgets: createRateBudgets({ pool, database }),
    serviceSecrets: createServiceSecrets({ pool, database }),
    singletons: {
      run(name, work) {
        assertOpen();
        return singletons.run(name, work);
      },
      close: () => singletons.close(),
    },

    async checkWritable() {
      assertOpen();
      // A real commit: the probe goes through the same transaction as a delivery.
      const now = options.clock.now();
      await context.write((sql) =>
        sql.run('INSERT INTO probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at', [
          now,
        ]),
      );
    },

    async close() {
      if (closed) return;
      // What is queued still commits; then nothing more is taken.
      closed = true;
      await batch.drain();
      // Its claims run out now rather than after the lease: another instance takes this one's
      // pending work at once (a rolling deploy), and takes back any action it left running.
      await poolSql
        .run('UPDATE claims SET until = $2 WHERE owner = $1 AND until > $2', [
          context.owner,
          options.clock.now(),
        ])
        .catch((error: unknown) =>
          log?.warn(
            { err: { message: (error as Error).message }, database },
            'could not let go of the claims',
          ),
        );
      await singletons.close();
      await pool.end();
    },
  };
}

/** The first schema of `search_path` in the URL's `options` parameter, if any. */
export function schemaOfUrl(url: string): string | undefined {
  try {
    const found = /search_path\s*=\s*"?([^",\s]+)/.exec(new URL(url).searchParams.get('options') ?? '');
    return found?.[1];
  } catch {
    return undefined;
  }
}

/**
 * A DATABASE_URL as it may be logged or shown: user, host, port and database, never the password
 * (nor query parameters, which may carry one).
 */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`;
    return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'an unparseable DATABASE_URL';
  }
}
