import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { StagegateError } from '../kernel/errors.js';

/** The lock that keeps a store directory to one process: `<dir>/.lock` holds the owner's pid. */
export interface StoreLock {
  readonly file: string;
  /** Rejects with STORE_FAILED when the lock file no longer names this process. */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

export interface StoreLockOptions {
  pid?: number;
  isProcessAlive?: (pid: number) => boolean;
  log?: Logger | undefined;
}

// Lock files this process holds. A lock naming our own pid that is not in here was left by an
// earlier process that had the same pid (pid 1 in a restarted container) and is stale.
const heldHere = new Set<string>();

/** Locks the store directory to this process, creating the directory if it does not exist yet. */
export async function acquireStoreLock(dir: string, options: StoreLockOptions = {}): Promise<StoreLock> {
  await mkdir(dir, { recursive: true }).catch((cause: unknown) => {
    throw new StagegateError('STORE_FAILED', `Could not create the store directory ${dir}.`, {
      cause,
      details: { dir },
    });
  });
  const file = resolve(dir, '.lock');
  const pid = options.pid ?? process.pid;
  const isProcessAlive = options.isProcessAlive ?? isAlive;
  // Written in full first, then linked into place: link fails if the lock exists (like O_EXCL), and
  // a reader never sees a lock file without its pid.
  const draft = join(dir, `.lock.${pid}.${randomUUID()}`);
  await writeFile(draft, `${pid}\n`, { flag: 'wx' }).catch((cause: unknown) => {
    throw new StagegateError('STORE_FAILED', `Could not write the store lock in ${dir}.`, {
      cause,
      details: { dir },
    });
  });
  try {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (await tryLink(draft, file)) {
        heldHere.add(file);
        return createHeldLock(file, pid);
      }
      const holder = await readPid(file);
      if (holder === undefined) continue;
      const stale =
        !(Number.isInteger(holder) && holder > 0) ||
        (holder === pid ? !heldHere.has(file) : !isProcessAlive(holder));
      if (!stale) {
        throw new StagegateError(
          'STORE_FAILED',
          `The store in ${dir} is in use by process ${holder} (lock file ${file}). ` +
            'Stop that process, or delete the lock file if it is not a stagegate process.',
          { details: { dir, file, pid: holder } },
        );
      }
      options.log?.warn({ file, stalePid: holder }, 'taking over a stale store lock');
      await rm(file, { force: true });
    }
    throw new StagegateError(
      'STORE_FAILED',
      `Another process took the store lock ${file} at the same time.`,
      {
        details: { dir, file },
      },
    );
  } finally {
    await rm(draft, { force: true });
  }
}

function createHeldLock(file: string, pid: number): StoreLock {
  return {
    file,
    async assertHeld() {
      const holder = await readPid(file);
      if (holder !== pid || !heldHere.has(file)) {
        throw new StagegateError(
          'STORE_FAILED',
          `The store lock ${file} is no longer held by process ${pid}.`,
          {
            details: { file, pid, holder },
          },
        );
      }
    },
    async release() {
      if (!heldHere.delete(file)) return;
      if ((await readPid(file)) === pid) await rm(file, { force: true });
    },
  };
}

async function tryLink(draft: string, file: string): Promise<boolean> {
  try {
    await link(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StagegateError('STORE_FAILED', `Could not create the store lock ${file}.`, {
      cause: error,
      details: { file },
    });
  }
}

/** The pid in the lock file: undefined when the file is gone, NaN when it holds no pid (stale). */
async function readPid(file: string): Promise<number | undefined> {
  try {
    return Number.parseInt(await readFile(file, 'utf8'), 10);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
