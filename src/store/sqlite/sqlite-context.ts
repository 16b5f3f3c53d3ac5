import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import type { Retention } from '../types.js';
import type { BatchTools } from './create-batch-commit.js';

/** The tables that hold one JSON record per row, and the columns their queries filter on. */
export interface RecordTables {
  inbox: 'tenant' | 'status' | 'opportunity_id';
  decisions: 'tenant' | 'opportunity_id';
  actions: 'tenant' | 'status' | 'opportunity_id';
  invitations: 'tenant' | 'opportunity_id' | 'status';
}
export type RecordTable = keyof RecordTables;

/** What the store's operations share. Reads see what is committed; changes go through `write`. */
export interface SqliteContext {
  readonly clock: Clock;
  readonly log: Logger | undefined;
  readonly retention: Retention;
  /** Runs the change in the next batch transaction; resolves once that is committed. */
  write<T>(change: (tools: BatchTools) => T): Promise<T>;
  /** A prepared statement, cached by its text. Throws STORE_FAILED once the store is closed. */
  query(sql: string): Database.Statement;
}

export function readRecord<T>(context: SqliteContext, table: RecordTable, id: string): T | undefined {
  const text = context.query(`SELECT record FROM ${table} WHERE id = ?`).pluck().get(id);
  return typeof text === 'string' ? (JSON.parse(text) as T) : undefined;
}

export function findRecord<T>(context: SqliteContext, table: RecordTable, id: string, kind: string): T {
  const record = readRecord<T>(context, table, id);
  if (record === undefined) {
    throw new StagegateError('NOT_FOUND', `No ${kind} with id ${id}.`, { details: { id } });
  }
  return record;
}

/** Records whose columns equal the wanted values (an undefined value is no filter), in arrival order. */
export function readRecords<T, K extends RecordTable>(
  context: SqliteContext,
  table: K,
  filter: Partial<Record<RecordTables[K], string | undefined>>,
  orderBy = 'seq',
): T[] {
  const wanted = Object.entries(filter).filter(([, value]) => value !== undefined);
  const where =
    wanted.length === 0 ? '' : ` WHERE ${wanted.map(([column]) => `${column} = ?`).join(' AND ')}`;
  const texts = context
    .query(`SELECT record FROM ${table}${where} ORDER BY ${orderBy}`)
    .pluck()
    .all(...wanted.map(([, value]) => value));
  return texts.map((text) => JSON.parse(text as string) as T);
}

export function insertRecord(context: SqliteContext, table: RecordTable, record: unknown): void {
  context.query(`INSERT INTO ${table} (record) VALUES (?)`).run(JSON.stringify(record));
}

/** Rewrites the record with the same id in place: it keeps its place in arrival order. */
export function replaceRecord(context: SqliteContext, table: RecordTable, record: { id: string }): void {
  context.query(`UPDATE ${table} SET record = ? WHERE id = ?`).run(JSON.stringify(record), record.id);
}

export function isPurged(context: SqliteContext, tenant: string, opportunityId: string | null): boolean {
  if (opportunityId === null) return false;
  const found = context
    .query('SELECT 1 FROM tombstones WHERE tenant = ? AND opportunity_id = ?')
    .pluck()
    .get(tenant, opportunityId);
  return found !== undefined;
}
