import type Database from 'better-sqlite3';
import { StagegateError } from '../../kernel/errors.js';

/** What a change may ask of the batch that carries it. */
export interface BatchTools {
  /**
   * After the commit, checkpoint the WAL into the database file and truncate it: old versions of
   * rewritten pages (personal data a purge removed) must not linger in the WAL.
   */
  truncateWal(): void;
}

/**
 * Queues changes and runs each tick's changes in one transaction, so a burst of writes costs one
 * fsync, not one each. A change runs inside the transaction (its reads see the batch's earlier
 * changes) and its promise resolves only once the transaction is committed.
 */
export interface BatchCommit {
  run<T>(change: (tools: BatchTools) => T): Promise<T>;
  /** Runs what is queued now, instead of on the next tick. */
  flush(): void;
}

export interface BatchCommitOptions {
  db: Database.Database;
  /** 0 runs the batch on the next turn of the event loop (setImmediate). */
  intervalMs: number;
  /** Named in errors. */
  file: string;
  onCommitFailed?: (error: StagegateError) => void;
}

interface Job {
  change: (tools: BatchTools) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: StagegateError };

export function createBatchCommit(options: BatchCommitOptions): BatchCommit {
  const { db, file } = options;
  let queue: Job[] = [];
  let scheduled: (() => void) | undefined;
  // Nested in the batch's transaction, better-sqlite3 runs this as a SAVEPOINT: a change that throws
  // a StagegateError (NOT_FOUND, INTERNAL: the caller's mistake) is undone alone.
  const runAlone = db.transaction((job: Job, tools: BatchTools) => job.change(tools));

  function schedule(): void {
    if (scheduled !== undefined) return;
    if (options.intervalMs <= 0) {
      const handle = setImmediate(flush);
      scheduled = () => clearImmediate(handle);
    } else {
      const handle = setTimeout(flush, options.intervalMs);
      scheduled = () => clearTimeout(handle);
    }
  }

  function flush(): void {
    scheduled?.();
    scheduled = undefined;
    const jobs = queue;
    queue = [];
    if (jobs.length === 0) return;
    const truncating = new Set<Job>();
    const outcomes: Outcome[] = [];
    try {
      db.transaction(() => {
        for (const job of jobs) {
          const tools: BatchTools = { truncateWal: () => truncating.add(job) };
          try {
            outcomes.push({ ok: true, value: runAlone(job, tools) });
          } catch (error) {
            // Anything else (an I/O error, a full disk) fails the whole batch: nothing is written.
            if (!(error instanceof StagegateError)) throw error;
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (cause) {
      const error = storeFailed(`Could not write store file ${file}`, cause);
      options.onCommitFailed?.(error);
      for (const job of jobs) job.reject(error);
      return;
    }
    const unscrubbed = truncating.size > 0 ? truncateWal() : undefined;
    jobs.forEach((job, n) => {
      const outcome = outcomes[n];
      if (unscrubbed !== undefined && truncating.has(job)) job.reject(unscrubbed);
      else if (outcome?.ok) job.resolve(outcome.value);
      else job.reject(outcome?.error);
    });
  }

  /** The failure, if the WAL could not be emptied: the change is committed, but old bytes may remain. */
  function truncateWal(): StagegateError | undefined {
    try {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy !== 0) throw new Error('the checkpoint was blocked by a reader');
      return undefined;
    } catch (cause) {
      const error = storeFailed(`Could not empty the write-ahead log of ${file}`, cause);
      options.onCommitFailed?.(error);
      return error;
    }
  }

  function storeFailed(what: string, cause: unknown): StagegateError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new StagegateError('STORE_FAILED', `${what}: ${reason}`, { cause, details: { file } });
  }

  return {
    run<T>(change: (tools: BatchTools) => T) {
      const done = new Promise<T>((resolve, reject) =>
        queue.push({ change, resolve: resolve as (value: unknown) => void, reject }),
      );
      schedule();
      return done;
    },
    flush,
  };
}
