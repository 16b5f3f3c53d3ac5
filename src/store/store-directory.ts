// The directory of an embedded store (SQLite, lowdb): the lock that keeps it to one process, the
// fsync that makes a new name in it durable, and the marker that refuses it once it was copied to
// PostgreSQL.
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
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

/** Fsyncs a directory, so that a file created or renamed in it survives a power cut. */
export async function syncDirectory(directory: string): Promise<void> {
  // Windows cannot open a directory for fsync; there a new name is only as durable as the OS makes it.
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Left in an embedded store's directory by `stagegate store copy`: the installation now lives in
 * PostgreSQL. A service (or a second copy) refuses the directory while it is there, so the pending
 * work it holds cannot run twice, once from each store (two invitations for one candidate).
 */
export const copiedMarkerName = '.copied-to-postgres';

export interface CopiedMarker {
  /** The target as it may be shown (no password). */
  database: string;
  schema: string;
  at: string;
}

export async function writeCopiedMarker(dir: string, marker: CopiedMarker): Promise<string> {
  const file = join(dir, copiedMarkerName);
  await writeFile(file, `${JSON.stringify(marker)}\n`, { mode: 0o600 });
  return file;
}

/** Rejects with STORE_FAILED when the directory was copied to PostgreSQL (the marker says where). */
export async function refuseCopiedStore(dir: string): Promise<void> {
  const file = join(dir, copiedMarkerName);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StagegateError('STORE_FAILED', `Could not read ${file}.`, { cause: error, details: { file } });
  }
  let where = 'PostgreSQL';
  try {
    const marker = JSON.parse(text) as Partial<CopiedMarker>;
    where = `${marker.database ?? 'PostgreSQL'} (schema ${marker.schema ?? '?'}) at ${marker.at ?? '?'}`;
  } catch {
    // An unreadable marker still marks the directory.
  }
  throw new StagegateError(
    'STORE_FAILED',
    `The store in ${dir} was copied to ${where}: it is not opened again, so its pending work runs only from PostgreSQL. ` +
      `Run with STAGEGATE_STORE=postgres, or delete ${file} to use this copy anyway.`,
    { details: { dir, file } },
  );
}
