import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { StagegateError } from '../../kernel/errors.js';
import { copyChunkSize, type RecordChunks, type RecordKind, type RecordSource } from '../store-copy.js';
import { acquireStoreLock } from '../store-directory.js';
import { createFsyncAdapter } from './group-commit.js';
import type { PartitionData } from './partition.js';
import { openPartitions } from './partition.js';

/** A partition's records of one kind, in its arrival order (the keyed ones by key). */
function recordsOf(data: PartitionData, kind: RecordKind): unknown[] {
  const text = (records: readonly unknown[]) => records.map((record) => JSON.stringify(record));
  const keys = (record: object) => Object.keys(record).sort();
  switch (kind) {
    case 'inbox':
    case 'decisions':
    case 'actions':
    case 'invitations':
      return text(data[kind]);
    case 'dedupe':
      return keys(data.dedupe).map((token) => ({ tenant: data.tenant, token, ...data.dedupe[token] }));
    case 'tombstones':
      return keys(data.tombstones).map((id) => data.tombstones[id]);
    case 'credentials':
      return text(keys(data.credentials).map((kindOf) => data.credentials[kindOf]));
  }
}

/**
 * The lowdb store in `dir` (one JSON file per tenant), to be copied: its directory lock is taken
 * first, as the SQLite reader does. A directory without a partition file is NOT_FOUND.
 */
export async function readLowdbRecords(dir: string, options: { log?: Logger } = {}): Promise<RecordSource> {
  if (!existsSync(dir)) {
    throw new StagegateError('NOT_FOUND', `There is no lowdb store in ${dir} (no such directory).`, {
      details: { dir },
    });
  }
  const lock = await acquireStoreLock(dir, { log: options.log });
  let partitions: PartitionData[];
  try {
    partitions = (await openPartitions(dir, (file) => createFsyncAdapter<PartitionData>(file))).map(
      (db) => db.data,
    );
  } catch (error) {
    await lock.release();
    throw error;
  }
  if (partitions.length === 0) {
    await lock.release();
    throw new StagegateError('NOT_FOUND', `There is no lowdb store in ${dir} (no <tenant>.json file).`, {
      details: { dir },
    });
  }
  partitions.sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  return {
    description: `lowdb ${dir}`,
    *chunks<K extends RecordKind>(kind: K): Iterable<RecordChunks[K]> {
      for (const data of partitions) {
        const records = recordsOf(data, kind);
        for (let start = 0; start < records.length; start += copyChunkSize) {
          yield records.slice(start, start + copyChunkSize) as RecordChunks[K];
        }
      }
    },
    async close() {
      await lock.release();
    },
  };
}
