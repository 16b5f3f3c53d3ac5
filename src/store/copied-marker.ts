import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StagegateError } from '../kernel/errors.js';

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
