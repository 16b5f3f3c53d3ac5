import type pg from 'pg';
import { StagegateError } from '../../kernel/errors.js';
import type { Sql } from './postgres-context.js';

/**
 * Queues changes and runs what is queued in one transaction, so a burst of writes costs one commit,
 * not one each, and changes commit in the order they were asked for. Each change of several runs
 * under a savepoint, and a change alone is rolled back with its transaction: one that fails
 * (NOT_FOUND, INTERNAL, a constraint) is undone alone. Its promise resolves
 * only once the transaction is committed. A lost connection or a failed COMMIT fails the whole batch.
 */
export interface BatchCommit {
  run<T>(change: (sql: Sql) => Promise<T>): Promise<T>;
  /** Resolves once nothing is queued or running. */
  drain(): Promise<void>;
}

export interface BatchCommitOptions {
  pool: pg.Pool;
  /** Errors name it; never the password. */
  database: string;
  onCommitFailed?: (error: StagegateError) => void;
}

interface Job {
  change: (sql: Sql) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export function storeFailed(what: string, cause: unknown, database: string): StagegateError {
  if (cause instanceof StagegateError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StagegateError('STORE_FAILED', `${what} (${database}): ${reason}`, {
    cause,
    details: { database },
  });
}

export function clientSql(client: pg.ClientBase): Sql {
  return {
    async rows<T>(text: string, params: readonly unknown[] = []) {
      const result = await client.query(text, params as unknown[]);
      return result.rows as T[];
    },
    async run(text: string, params: readonly unknown[] = []) {
      const result = await client.query(text, params as unknown[]);
      return result.rowCount ?? 0;
    },
  };
}

export function createBatchCommit(options: BatchCommitOptions): BatchCommit {
  const { pool, database } = options;
  const queue: Job[] = [];
  let running: Promise<void> | undefined;

  async function loop(): Promise<void> {
    // What is asked for in the same turn of the event loop shares the transaction.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (queue.length > 0) await commit(queue.splice(0));
    running = undefined;
  }

  async function commit(jobs: Job[]): Promise<void> {
    let client: pg.PoolClient | undefined;
    const outcomes: Outcome[] = [];
    try {
      client = await pool.connect();
      const sql = clientSql(client);
      // A change alone needs no savepoint: rolling the transaction back undoes it alone. That saves
      // the SAVEPOINT and RELEASE round trips, and most changes outside a burst are alone.
      const alone = jobs.length === 1;
      await client.query('BEGIN');
      for (const job of jobs) {
        if (!alone) await client.query('SAVEPOINT change');
        try {
          const value = await job.change(sql);
          if (!alone) await client.query('RELEASE SAVEPOINT change');
          outcomes.push({ ok: true, value });
        } catch (error) {
          // If even this fails (the connection is gone), the whole batch fails below.
          await client.query(alone ? 'ROLLBACK' : 'ROLLBACK TO SAVEPOINT change');
          outcomes.push({
            ok: false,
            error:
              error instanceof StagegateError ? error : storeFailed('A store change failed', error, database),
          });
        }
      }
      if (!alone || outcomes[0]?.ok === true) await client.query('COMMIT');
      client.release();
    } catch (cause) {
      await client?.query('ROLLBACK').catch(() => {});
      // A connection that failed mid-transaction is not given back to the pool.
      client?.release(true);
      const error = storeFailed('Could not commit to PostgreSQL', cause, database);
      options.onCommitFailed?.(error);
      for (const job of jobs) job.reject(error);
      return;
    }
    jobs.forEach((job, n) => {
      const outcome = outcomes[n];
      if (outcome?.ok) job.resolve(outcome.value);
      else job.reject(outcome?.error);
    });
  }

  return {
    run<T>(change: (sql: Sql) => Promise<T>) {
      const done = new Promise<T>((resolve, reject) =>
        queue.push({ change, resolve: resolve as (value: unknown) => void, reject }),
      );
      running ??= loop();
      return done;
    },
    async drain() {
      while (running !== undefined) await running;
    },
  };
}
