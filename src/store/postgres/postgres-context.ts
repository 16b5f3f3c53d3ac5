import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import type { Retention } from '../types.js';
import type { Together } from './create-batch-commit.js';

/** One place to send SQL: the pool (reads, committed data) or the batch's transaction (changes). */
export interface Sql {
  rows<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** The number of rows the statement changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** The tables that hold one JSON record per row, and the columns their queries filter on. */
export interface RecordTables {
  inbox: 'tenant' | 'status' | 'opportunity_id';
  decisions: 'tenant' | 'opportunity_id';
  actions: 'tenant' | 'status' | 'opportunity_id';
  invitations: 'tenant' | 'opportunity_id' | 'status';
}
export type RecordTable = keyof RecordTables;

/** What the store's operations share. Reads see what is committed; changes go through `write`. */
export interface PostgresContext {
  readonly clock: Clock;
  readonly log: Logger | undefined;
  readonly retention: Retention;
  /** This store among the instances on the database: the owner of its claims. */
  readonly owner: string;
  /** How long a claim on an opportunity lasts unless renewed (each executor tick renews it). */
  readonly claimLeaseMs: number;
  /**
   * Runs the change in the next batch transaction; resolves once that is committed. With `together`,
   * it may run in one call with the batch's other changes of its kind (see BatchCommit.run).
   */
  write<T>(change: (sql: Sql) => Promise<T>, together?: Together<T>): Promise<T>;
  /** Reads on the pool. Throws STORE_FAILED once the store is closed. */
  readonly read: Sql;
}

export async function readRecord<T>(sql: Sql, table: RecordTable, id: string): Promise<T | undefined> {
  const [row] = await sql.rows<{ record: T }>(`SELECT record FROM ${table} WHERE id = $1`, [id]);
  return row?.record;
}

export async function findRecord<T>(sql: Sql, table: RecordTable, id: string, kind: string): Promise<T> {
  // Locked until the batch commits: another instance changing the same record waits for it.
  const [row] = await sql.rows<{ record: T }>(`SELECT record FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
  if (row === undefined) {
    throw new StagegateError('NOT_FOUND', `No ${kind} with id ${id}.`, { details: { id } });
  }
  return row.record;
}

/** Records whose columns equal the wanted values (an undefined value is no filter), in arrival order. */
export async function readRecords<T, K extends RecordTable>(
  sql: Sql,
  table: K,
  filter: Partial<Record<RecordTables[K], string | undefined>>,
  orderBy = 'seq',
): Promise<T[]> {
  const wanted = Object.entries(filter).filter(([, value]) => value !== undefined);
  const where =
    wanted.length === 0 ? '' : ` WHERE ${wanted.map(([column], n) => `${column} = $${n + 1}`).join(' AND ')}`;
  const rows = await sql.rows<{ record: T }>(
    `SELECT record FROM ${table}${where} ORDER BY ${orderBy}`,
    wanted.map(([, value]) => value),
  );
  return rows.map((row) => row.record);
}

export async function insertRecord(sql: Sql, table: RecordTable, record: unknown): Promise<void> {
  await sql.run(`INSERT INTO ${table} (record) VALUES ($1::json)`, [JSON.stringify(record)]);
}

/** Rewrites the record with the same id in place: it keeps its place in arrival order. */
export async function replaceRecord(sql: Sql, table: RecordTable, record: { id: string }): Promise<void> {
  await sql.run(`UPDATE ${table} SET record = $1::json WHERE id = $2`, [JSON.stringify(record), record.id]);
}

export async function isPurged(sql: Sql, tenant: string, opportunityId: string | null): Promise<boolean> {
  if (opportunityId === null) return false;
  const rows = await sql.rows('SELECT 1 FROM tombstones WHERE tenant = $1 AND opportunity_id = $2', [
    tenant,
    opportunityId,
  ]);
  return rows.length > 0;
}
