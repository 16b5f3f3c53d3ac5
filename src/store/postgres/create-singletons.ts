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
