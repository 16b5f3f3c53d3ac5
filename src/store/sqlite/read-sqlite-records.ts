import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { StagegateError } from '../../kernel/errors.js';
import { copyChunkSize, type RecordChunks, type RecordKind, type RecordSource } from '../store-copy.js';
import { acquireStoreLock } from '../store-directory.js';
import { sqliteFileName } from './create-sqlite-store.js';
import { openDatabase } from './database.js';

// Each kind in arrival order (`seq`); the keyed tables in a fixed order, so two copies compare.
const queries: Record<RecordKind, { sql: string; pluck: boolean }> = {
  inbox: { sql: 'SELECT record FROM inbox ORDER BY seq', pluck: true },
  dedupe: {
    sql: 'SELECT tenant, token, at, inbox_id AS inboxId FROM dedupe ORDER BY at, tenant, token',
    pluck: false,
  },
  decisions: { sql: 'SELECT record FROM decisions ORDER BY seq', pluck: true },
  actions: { sql: 'SELECT record FROM actions ORDER BY seq', pluck: true },
  invitations: { sql: 'SELECT record FROM invitations ORDER BY seq', pluck: true },
  tombstones: {
    sql: 'SELECT tenant, opportunity_id AS opportunityId, purged_at AS purgedAt FROM tombstones ORDER BY tenant, opportunity_id',
    pluck: false,
  },
  credentials: { sql: 'SELECT record FROM credentials ORDER BY tenant, kind', pluck: true },
};

/**
 * The SQLite store in `dir`, to be copied: its directory lock is taken first, so a running service
 * on it is refused (STORE_FAILED, naming its pid) and none can start until the copy is closed. A
 * directory without a store file is NOT_FOUND; nothing is created in it.
 */
export async function readSqliteRecords(dir: string, options: { log?: Logger } = {}): Promise<RecordSource> {
  const file = join(dir, sqliteFileName);
  if (!existsSync(file)) {
    throw new StagegateError('NOT_FOUND', `There is no SQLite store in ${dir} (no ${sqliteFileName}).`, {
      details: { dir },
    });
  }
  const lock = await acquireStoreLock(dir, { log: options.log });
  let db: Database.Database;
  try {
    db = openDatabase(file);
  } catch (error) {
    await lock.release();
    throw error;
  }
  return {
    description: `sqlite ${dir}`,
    *chunks<K extends RecordKind>(kind: K): Iterable<RecordChunks[K]> {
      const { sql, pluck } = queries[kind];
      const statement = db.prepare(sql);
      let chunk: unknown[] = [];
      for (const row of (pluck ? statement.pluck() : statement).iterate()) {
        chunk.push(row);
        if (chunk.length === copyChunkSize) {
          yield chunk as RecordChunks[K];
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk as RecordChunks[K];
    },
    async close() {
      try {
        db.close();
      } finally {
        await lock.release();
      }
    },
  };
}
