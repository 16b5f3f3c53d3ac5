// What the instances on one database share besides the records: the singleton jobs' leases, Lever's
// rate budget per credential, and the service's own secrets (the callback secret).
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Singletons } from '../claims.js';
import { storeFailed } from './create-batch-commit.js';

export interface PostgresSingletonsOptions {
  pool: pg.Pool;
  /** Leases are per schema: installations in one database do not share them. */
  schema: string;
  database: string;
  log?: Logger;
}

const lockKey = 'SELECT hashtext($1) AS a, hashtext($2) AS b';

/**
 * Leadership per job by a session advisory lock: the first instance to ask takes the job's lock on a
 * connection it keeps, and runs the job from then on; the others' turns are skipped. When the leader
 * dies or loses its connection, PostgreSQL releases the lock, and the next instance to ask takes it.
 */
export function createPostgresSingletons(options: PostgresSingletonsOptions): Singletons {
  const { pool, schema, database, log } = options;
  const held = new Map<string, pg.PoolClient>();

  function drop(name: string, client: pg.PoolClient): void {
    if (held.get(name) === client) held.delete(name);
    client.release(true);
  }

  /** The connection that holds the job's lock, or undefined when another instance holds it. */
  async function lease(name: string): Promise<pg.PoolClient | undefined> {
    const mine = held.get(name);
    if (mine !== undefined) {
      // Still alive? A connection that died took the lock with it.
      const alive = await mine.query('SELECT 1').then(
        () => true,
        () => false,
      );
      if (alive) return mine;
      drop(name, mine);
      log?.warn({ job: name, database }, 'singleton: lease lost with its connection; asking again');
    }
    const client = await pool.connect().catch((error: unknown) => {
      throw storeFailed('Could not reach PostgreSQL for a lease', error, database);
    });
    // A held connection that breaks must not crash the process; the next run notices.
    client.on('error', () => {});
    try {
      const { rows } = await client.query<{ taken: boolean }>(
        `SELECT pg_try_advisory_lock(k.a, k.b) AS taken FROM (${lockKey}) k`,
        ['stagegate.singleton', `${schema}:${name}`],
      );
      if (rows[0]?.taken !== true) {
        client.release();
        return undefined;
      }
    } catch (error) {
      client.release(true);
      throw storeFailed('Could not ask PostgreSQL for a lease', error, database);
    }
    held.set(name, client);
    log?.info({ job: name, database }, 'singleton: this instance runs the job');
    return client;
  }

  return {
    async run(name, work) {
      if ((await lease(name)) === undefined) return false;
      await work();
      return true;
    },
    async close() {
      for (const [name, client] of [...held]) {
        held.delete(name);
        // Unlocked before the close returns: another instance may take the job at once.
        await client.query('SELECT pg_advisory_unlock_all()').then(
          () => client.release(),
          () => client.release(true),
        );
      }
    },
  };
}

/** How a bucket refills: every instance on one credential must be given the same (STAGEGATE_LEVER_RATE). */
export interface RateRule {
  ratePerSecond: number;
  capacity: number;
}

/**
 * Lever's rate budget per credential, kept in the database so that every instance spends the same
 * one: Lever counts requests per API key (or OAuth grant), whichever instance sends them.
 */
export interface RateBudgets {
  /**
   * Takes one token from the key's bucket at `now` and resolves to how long the caller waits before
   * it sends (0: at once). `key` names the credential and is stored: never a secret itself.
   */
  reserve(key: string, now: number, rule: RateRule): Promise<number>;
}

/**
 * The token bucket of src/lever/rate-limit.ts as one row per key, refilled and taken from
 * in a single statement (the row lock of `ON CONFLICT DO UPDATE` orders concurrent takers), so three
 * instances on one key together get the bucket's rate, not three times it. A caller that finds the
 * bucket empty takes a token on credit (`tokens` goes negative) and waits until it would have been
 * refilled: callers queue in arrival order without a wait list or a second round trip.
 *
 * `now` is the calling instance's clock. `at` only moves forward, so an instance whose clock runs
 * behind refills nothing until the others' `at` is past; one that runs ahead gets at most its lead
 * times the rate once. Clocks kept by NTP differ by milliseconds: a fraction of one token.
 */
export function createRateBudgets(options: { pool: pg.Pool; database: string }): RateBudgets {
  const { pool, database } = options;
  return {
    async reserve(key, now, { ratePerSecond, capacity }) {
      const result = await pool
        .query<{ tokens: number }>(
          `INSERT INTO lever_rate_buckets AS b (key, tokens, at) VALUES ($1, $3::float8 - 1, $2::float8)
           ON CONFLICT (key) DO UPDATE SET
             tokens = least($3::float8, b.tokens + greatest(0, $2::float8 - b.at) * $4::float8 / 1000) - 1,
             at = greatest(b.at, $2::float8)
           RETURNING tokens`,
          [key, now, capacity, ratePerSecond],
        )
        .catch((error: unknown) => {
          throw storeFailed('Could not take a Lever rate token from PostgreSQL', error, database);
        });
      const tokens = result.rows[0]?.tokens ?? 0;
      return tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / ratePerSecond);
    },
  };
}

/**
 * Secrets the service makes for itself that every instance must hold alike (the callback secret),
 * one row per name (migration 5). The value is opaque here: the caller seals it first when a key
 * is configured (src/server/read-or-create-secret.ts).
 */
export interface ServiceSecrets {
  /** The stored value of that name; when there is none, `candidate` is stored and returned (the first instance wins). */
  readOrCreate(name: string, candidate: string): Promise<string>;
  /** Replaces the value only if it is still `expected` (sealing a plain one); true when it was replaced. */
  replace(name: string, expected: string, next: string): Promise<boolean>;
}

interface StoredSecret {
  value: string;
}

export function createServiceSecrets(options: { pool: pg.Pool; database: string }): ServiceSecrets {
  const { pool, database } = options;
  const query = async <T extends pg.QueryResultRow>(text: string, params: unknown[]) =>
    pool.query<T>(text, params).catch((error: unknown) => {
      throw storeFailed('Could not read or write a service secret in PostgreSQL', error, database);
    });
  return {
    async readOrCreate(name, candidate) {
      const inserted = await query<{ record: StoredSecret }>(
        `INSERT INTO service_secrets (name, record) VALUES ($1, $2::json)
         ON CONFLICT (name) DO NOTHING RETURNING record`,
        [name, JSON.stringify({ value: candidate })],
      );
      if (inserted.rows[0] !== undefined) return inserted.rows[0].record.value;
      // A second statement, so a new snapshot: an instance that inserted at the same moment has
      // committed by now (ON CONFLICT waited for it), and its row is the one everyone uses.
      const found = await query<{ record: StoredSecret }>(
        'SELECT record FROM service_secrets WHERE name = $1',
        [name],
      );
      const value = found.rows[0]?.record.value;
      if (value === undefined) throw storeFailed(`The service secret ${name} vanished`, 'no row', database);
      return value;
    },
    async replace(name, expected, next) {
      const result = await query(
        `UPDATE service_secrets SET record = $3::json WHERE name = $1 AND record ->> 'value' = $2`,
        [name, expected, JSON.stringify({ value: next })],
      );
      return (result.rowCount ?? 0) > 0;
    },
  };
}
