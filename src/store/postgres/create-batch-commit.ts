import type pg from 'pg';
import { StagegateError } from '../../kernel/errors.js';
import type { Sql } from './postgres-context.js';

/**
 * Queues changes and runs what is queued in one transaction, so a burst of writes costs one commit,
 * not one each, and changes commit in the order they were asked for. Each change of several runs
 * under a savepoint, and a change alone is rolled back with its transaction: one that fails
 * (NOT_FOUND, INTERNAL, a constraint) is undone alone. Consecutive changes of one `together` kind
 * run as one call (one savepoint for the run, none if it is the whole batch); an answer of it that
 * is an error must have changed nothing. Its promise resolves
 * only once the transaction is committed. A lost connection or a failed COMMIT fails the whole batch.
 */
export interface BatchCommit {
  /**
   * With `together`, changes of the same kind queued one after another may run as one call of its
   * `runAll` (the first's): fewer round trips, the same answers. If that call fails, they run one by
   * one as `change`, each under its savepoint.
   */
  run<T>(change: (sql: Sql) => Promise<T>, together?: Together<T>): Promise<T>;
  /** Resolves once nothing is queued or running. */
  drain(): Promise<void>;
}

export interface BatchCommitOptions {
  pool: pg.Pool;
  /** Errors name it; never the password. */
  database: string;
  onCommitFailed?: (error: StagegateError) => void;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** How a change runs together with others of its kind: `runAll` answers each input, in order. */
export interface Together<T> {
  kind: string;
  input: unknown;
  runAll(sql: Sql, inputs: unknown[]): Promise<Outcome[]>;
  /** Only for the type: what a fulfilled outcome's value is. */
  readonly value?: T;
}

interface Job {
  change: (sql: Sql) => Promise<unknown>;
  together: Together<unknown> | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

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
      const groups = groupJobs(jobs);
      // A change alone needs no savepoint: rolling the transaction back undoes it alone. That saves
      // the SAVEPOINT and RELEASE round trips, and most changes outside a burst are alone. Changes
      // run together and alone in the batch need none either: if their call fails, the transaction
      // is rolled back and begun again, and they run one by one.
      const alone = groups.length === 1;
      await client.query('BEGIN');
      for (const group of groups) {
        if (group.length > 1 && (await runTogether(client, sql, group, alone, outcomes))) continue;
        for (const job of group) await runOne(client, sql, job, jobs.length === 1, outcomes);
      }
      if (jobs.length > 1 || outcomes[0]?.ok === true) await client.query('COMMIT');
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

  async function runOne(
    client: pg.PoolClient,
    sql: Sql,
    job: Job,
    alone: boolean,
    outcomes: Outcome[],
  ): Promise<void> {
    if (!alone) await client.query('SAVEPOINT change');
    try {
      const value = await job.change(sql);
      if (!alone) await client.query('RELEASE SAVEPOINT change');
      outcomes.push({ ok: true, value });
    } catch (error) {
      // If even this fails (the connection is gone), the whole batch fails above.
      await client.query(alone ? 'ROLLBACK' : 'ROLLBACK TO SAVEPOINT change');
      outcomes.push({ ok: false, error: asStoreError(error) });
    }
  }

  /** True when the group ran as one call; false when it was undone and must run one by one. */
  async function runTogether(
    client: pg.PoolClient,
    sql: Sql,
    group: Job[],
    alone: boolean,
    outcomes: Outcome[],
  ): Promise<boolean> {
    const together = group[0]?.together;
    if (together === undefined) return false;
    if (!alone) await client.query('SAVEPOINT together');
    let answers: Outcome[];
    try {
      answers = await together.runAll(
        sql,
        group.map((job) => job.together?.input),
      );
      if (answers.length !== group.length) {
        throw new StagegateError(
          'INTERNAL',
          `${together.kind}: ${answers.length} answers for ${group.length}.`,
        );
      }
    } catch {
      if (alone) {
        await client.query('ROLLBACK');
        await client.query('BEGIN');
      } else {
        await client.query('ROLLBACK TO SAVEPOINT together');
      }
      return false;
    }
    if (!alone) await client.query('RELEASE SAVEPOINT together');
    for (const answer of answers) {
      outcomes.push(answer.ok ? answer : { ok: false, error: asStoreError(answer.error) });
    }
    return true;
  }

  function asStoreError(error: unknown): unknown {
    return error instanceof StagegateError ? error : storeFailed('A store change failed', error, database);
  }

  return {
    run<T>(change: (sql: Sql) => Promise<T>, together?: Together<T>) {
      const done = new Promise<T>((resolve, reject) =>
        queue.push({
          change,
          together: together as Together<unknown> | undefined,
          resolve: resolve as (value: unknown) => void,
          reject,
        }),
      );
      running ??= loop();
      return done;
    },
    async drain() {
      while (running !== undefined) await running;
    },
  };
}

/** Runs of changes, in the order asked for: consecutive changes of one `together` kind share a run. */
function groupJobs(jobs: Job[]): Job[][] {
  const groups: Job[][] = [];
  for (const job of jobs) {
    const last = groups.at(-1);
    const kind = job.together?.kind;
    if (last !== undefined && kind !== undefined && last[0]?.together?.kind === kind) last.push(job);
    else groups.push([job]);
  }
  return groups;
}
