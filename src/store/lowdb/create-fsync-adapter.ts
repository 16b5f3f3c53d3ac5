import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Adapter } from 'lowdb';
import { StagegateError } from '../../kernel/errors.js';
import { syncDirectory } from '../store-directory.js';

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
