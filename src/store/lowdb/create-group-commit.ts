import { StagegateError } from '../../kernel/errors.js';

/**
 * Batches the writes of one partition. A change applies to memory at once; its caller then waits
 * for a write that contains it. At most one write runs at a time, and a write starts `intervalMs`
 * after the first change it carries, so a burst of changes costs one write, not one each.
 */
export interface GroupCommit {
  /** Call right after a change is applied in memory: resolves once a write containing it is on disk. */
  commit(): Promise<void>;
  /** Resolves once every change applied so far is on disk; at once when nothing is pending. */
  settle(): Promise<void>;
  /** Like settle, but starts the write now instead of after the interval. */
  flush(): Promise<void>;
}

export interface GroupCommitOptions {
  intervalMs: number;
  /** Writes the whole partition. It must take its snapshot before it returns: the batch is what it saw. */
  write: () => Promise<void>;
  /** Named in errors. */
  file: string;
  onWriteFailed?: (error: StagegateError) => void;
}

interface Waiter {
  change: number;
  resolve: () => void;
  reject: (error: StagegateError) => void;
}

export function createGroupCommit(options: GroupCommitOptions): GroupCommit {
  let lastChange = 0;
  let lastDurable = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing = false;
  let waiters: Waiter[] = [];

  function waitFor(change: number): Promise<void> {
    if (change <= lastDurable) return Promise.resolve();
    const durable = new Promise<void>((resolve, reject) => waiters.push({ change, resolve, reject }));
    schedule();
    return durable;
  }

  function schedule(): void {
    if (timer === undefined && !writing) timer = setTimeout(startWrite, options.intervalMs);
  }

  function startWrite(): void {
    timer = undefined;
    writing = true;
    const batch = lastChange;
    // The executor runs `write` synchronously, so its snapshot matches `batch`; a throw becomes a rejection.
    new Promise<void>((resolve) => resolve(options.write()))
      .then(
        () => {
          lastDurable = Math.max(lastDurable, batch);
          answerWaiters(batch, undefined);
        },
        (cause: unknown) => {
          const reason = cause instanceof Error ? cause.message : String(cause);
          const error = new StagegateError(
            'STORE_FAILED',
            `Could not write store file ${options.file}: ${reason}`,
            {
              cause,
              details: { file: options.file },
            },
          );
          options.onWriteFailed?.(error);
          answerWaiters(batch, error);
        },
      )
      .finally(() => {
        writing = false;
        // Changes made while writing wait for the next batch. After a failure nothing retries on
        // its own: the next change, settle or flush writes the whole partition again.
        if (waiters.length > 0) schedule();
      });
  }

  function answerWaiters(batch: number, error: StagegateError | undefined): void {
    const settled = waiters.filter((waiter) => waiter.change <= batch);
    waiters = waiters.filter((waiter) => waiter.change > batch);
    for (const waiter of settled) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  return {
    commit() {
      lastChange += 1;
      return waitFor(lastChange);
    },
    settle() {
      return waitFor(lastChange);
    },
    flush() {
      const durable = waitFor(lastChange);
      if (timer !== undefined) {
        clearTimeout(timer);
        startWrite();
      }
      return durable;
    },
  };
}
