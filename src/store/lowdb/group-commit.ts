// How a partition reaches the disk: changes batched into one write per interval (the group commit),
// each write made durable by the fsync adapter before any caller is answered.
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Adapter } from 'lowdb';
import { StagegateError } from '../../kernel/errors.js';
import { syncDirectory } from '../store-directory.js';

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

/**
 * A lowdb adapter that acknowledges a write only once it survives a power cut: the JSON goes to
 * `<file>.tmp`, which is fsynced and renamed over the file, and then the directory is fsynced so
 * the rename itself is on disk. lowdb's own JSONFile renames but never fsyncs.
 * `fsync: false` keeps the atomic rename and skips both fsyncs (for the benchmark comparison).
 */
export function createFsyncAdapter<T>(file: string, options: { fsync?: boolean } = {}): Adapter<T> {
  const fsync = options.fsync ?? true;
  return {
    async read() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new StagegateError('STORE_FAILED', `Could not read store file ${file}.`, {
          cause: error,
          details: { file },
        });
      }
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new StagegateError(
          'STORE_FAILED',
          `Store file ${file} is corrupt or truncated (${(error as Error).message}); ` +
            'restore it from a backup or move it aside. The store does not start empty over it.',
          { cause: error, details: { file } },
        );
      }
    },
    // Not async: the data is serialised before this returns, so the caller's batch is exactly
    // what the data held at the call, whatever changes while the bytes are on their way.
    write(data) {
      return writeDurably(file, JSON.stringify(data), fsync);
    },
  };
}

async function writeDurably(file: string, text: string, fsync: boolean): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  if (fsync) await syncDirectory(dirname(file));
}
