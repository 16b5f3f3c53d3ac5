import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import { createLocalRecovery } from '../claims.js';
import { defaultRetention } from '../records.js';
import { acquireStoreLock, type StoreLock, syncDirectory } from '../store-directory.js';
import type { Retention, Store } from '../types.js';
import { createActionOperations } from './create-action-operations.js';
import { createBatchCommit } from './create-batch-commit.js';
import { createCandidateOperations, createConsoleOperations } from './create-console-operations.js';
import { createCredentialOperations } from './create-credential-operations.js';
import { createInboxOperations } from './create-inbox-operations.js';
import { createInvitationOperations } from './create-invitation-operations.js';
import { createRetentionOperations } from './create-retention-operations.js';
import { openDatabase } from './database.js';
import type { SqliteContext } from './sqlite-context.js';

export interface SqliteStoreOptions {
  dir: string;
  clock: Clock;
  log?: Logger;
  retention?: Partial<Retention>;
  /** How long changes collect before one transaction carries them all; 0 (the default) is one tick. */
  commitIntervalMs?: number;
}

export const sqliteFileName = 'stagegate.sqlite';

/**
 * The SQLite store: `<dir>/stagegate.sqlite`, the directory locked to this process. Every change
 * resolves once the transaction that carries it is committed, and so fsynced (WAL, synchronous=FULL).
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const { dir, log } = options;
  const file = join(dir, sqliteFileName);
  const lock = await acquireStoreLock(dir, { log });
  let db: Database.Database | undefined;
  try {
    db = openDatabase(file);
    // A new file (and its WAL) must itself survive a power cut, not only what is written into it.
    await syncDirectory(dir).catch((cause: unknown) => {
      throw new StagegateError('STORE_FAILED', `Could not sync the store directory ${dir}.`, {
        cause,
        details: { dir },
      });
    });
  } catch (error) {
    db?.close();
    await lock.release();
    throw error;
  }
  return assembleStore(options, db, lock);
}

function assembleStore(options: SqliteStoreOptions, db: Database.Database, lock: StoreLock): Store {
  const { dir, log } = options;
  const file = db.name;

  let closed = false;
  const statements = new Map<string, Database.Statement>();
  const batch = createBatchCommit({
    db,
    intervalMs: options.commitIntervalMs ?? 0,
    file,
    onCommitFailed: (err) => log?.error({ err, file }, 'store write failed'),
  });
  function assertOpen(): void {
    if (closed) {
      throw new StagegateError('STORE_FAILED', `The store in ${dir} is closed.`, { details: { dir } });
    }
  }
  const context: SqliteContext = {
    clock: options.clock,
    log,
    retention: { ...defaultRetention, ...options.retention },
    write(change) {
      assertOpen();
      return batch.run(change);
    },
    query(sql) {
      assertOpen();
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };

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
      assertOpen();
      await lock.assertHeld();
      // A real commit: the probe goes through the same transaction and fsync as a delivery.
      const now = options.clock.now();
      await context.write(() =>
        context.query('INSERT OR REPLACE INTO probe (id, at) VALUES (1, ?)').run(now),
      );
    },

    async close() {
      if (closed) return;
      try {
        // What is queued still commits; then nothing more is taken.
        batch.flush();
        closed = true;
        // Closing the last connection checkpoints the WAL into the file and removes it.
        db.close();
      } finally {
        closed = true;
        await lock.release();
      }
    },
  };
}
