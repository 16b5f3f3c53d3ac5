import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import { createLocalRecovery } from '../claims.js';
import { checkTenant, defaultRetention } from '../records.js';
import { acquireStoreLock } from '../store-directory.js';
import type { Retention, Store } from '../types.js';
import { createActionOperations } from './create-action-operations.js';
import { createCandidateOperations, createConsoleOperations } from './create-console-operations.js';
import { createCredentialOperations } from './create-credential-operations.js';
import { createInboxOperations } from './create-inbox-operations.js';
import { createInvitationOperations } from './create-invitation-operations.js';
import { createRetentionOperations } from './create-retention-operations.js';
import { createFsyncAdapter, createGroupCommit } from './group-commit.js';
import {
  type CreateAdapter,
  createEmptyPartition,
  openPartitions,
  type PartitionData,
  partitionFileName,
} from './partition.js';
import type { Partition, StoreContext } from './store-context.js';
import { createRecordIndex } from './store-context.js';

export interface LowdbStoreOptions {
  dir: string;
  clock: Clock;
  log?: Logger;
  /** How long a partition collects changes before one write carries them all. */
  commitIntervalMs?: number;
  /** false skips fsync (faster, not durable across a power cut); for benchmarks. */
  fsync?: boolean;
  retention?: Partial<Retention>;
  /** Replaces the file adapter (tests count or fail writes). Its write must serialise before it returns. */
  createAdapter?: CreateAdapter;
}

/**
 * The embedded store: one lowdb JSON file per tenant in `dir`, group-committed and fsynced, the
 * directory locked to this process. Reads come from memory; writes resolve once they are on disk.
 */
export async function createLowdbStore(options: LowdbStoreOptions): Promise<Store> {
  const { dir, log } = options;
  const fsync = options.fsync ?? true;
  const createAdapter =
    options.createAdapter ?? ((file) => createFsyncAdapter<PartitionData>(file, { fsync }));
  const lock = await acquireStoreLock(dir, { log });
  const partitions = new Map<string, Partition>();
  const index = createRecordIndex();
  let closed = false;

  function addPartition(db: Low<PartitionData>): Partition {
    const file = join(dir, partitionFileName(db.data.tenant));
    const commit = createGroupCommit({
      intervalMs: options.commitIntervalMs ?? 5,
      write: () => db.write(),
      file,
      onWriteFailed: (err) => log?.error({ err, file }, 'store write failed'),
    });
    const partition = { db, commit };
    partitions.set(db.data.tenant, partition);
    index.add(db.data);
    return partition;
  }

  const context: StoreContext = {
    clock: options.clock,
    log,
    retention: { ...defaultRetention, ...options.retention },
    index,
    partitions,
    partitionFor(tenant) {
      context.assertOpen();
      checkTenant(tenant);
      const file = join(dir, partitionFileName(tenant));
      return (
        partitions.get(tenant) ?? addPartition(new Low(createAdapter(file), createEmptyPartition(tenant)))
      );
    },
    assertOpen() {
      if (closed)
        throw new StagegateError('STORE_FAILED', `The store in ${dir} is closed.`, { details: { dir } });
    },
  };

  try {
    for (const db of await openPartitions(dir, createAdapter)) addPartition(db);
  } catch (error) {
    await lock.release();
    throw error;
  }

  const actions = createActionOperations(context);
  return {
    ...createInboxOperations(context),
    ...actions,
    ...createLocalRecovery(actions),
    ...createInvitationOperations(context),
    ...createRetentionOperations(context),
    ...createCandidateOperations(context),
    ...createConsoleOperations(context),
    ...createCredentialOperations(context),

    async checkWritable() {
      context.assertOpen();
      await lock.assertHeld();
      // Waiting for every partition's pending batch surfaces a disk that has started failing.
      await Promise.all([...partitions.values()].map((partition) => partition.commit.settle()));
      const probe = join(dir, `.probe-${randomUUID()}`);
      try {
        await writeFile(probe, 'probe');
        await rm(probe);
      } catch (cause) {
        throw new StagegateError('STORE_FAILED', `The store directory ${dir} is not writable.`, {
          cause,
          details: { dir },
        });
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        await Promise.all([...partitions.values()].map((partition) => partition.commit.flush()));
      } finally {
        await lock.release();
      }
    },
  };
}
