import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Adapter, Low } from 'lowdb';
import { StagegateError } from '../../kernel/errors.js';
import {
  checkPartitionData,
  createEmptyPartition,
  isPartitionFileName,
  type PartitionData,
} from './partition.js';

export type CreateAdapter = (file: string) => Adapter<PartitionData>;

/** Reads every partition file in the directory; a file that cannot be read fails the whole open. */
export async function openPartitions(
  dir: string,
  createAdapter: CreateAdapter,
): Promise<Low<PartitionData>[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new StagegateError('STORE_FAILED', `Could not list the store directory ${dir}.`, {
      cause,
      details: { dir },
    });
  }
  // A leftover .tmp is a write that never completed, so never acknowledged: nothing to recover.
  await Promise.all(names.filter((name) => name.endsWith('.json.tmp')).map((name) => rm(join(dir, name))));
  const partitions: Low<PartitionData>[] = [];
  for (const name of names.filter(isPartitionFileName)) {
    const file = join(dir, name);
    const db = new Low<PartitionData>(createAdapter(file), createEmptyPartition(''));
    await db.read();
    db.data = checkPartitionData(db.data, file);
    partitions.push(db);
  }
  return partitions;
}
