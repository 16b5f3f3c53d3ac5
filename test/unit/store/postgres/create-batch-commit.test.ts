// The PostgreSQL batch commit on a real database: a change alone (no savepoint) and changes of a
// batch (each under one) are undone alone when they fail, and what succeeds commits.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StagegateError } from '../../../../src/kernel/errors.js';
import {
  type BatchCommit,
  createBatchCommit,
  type Outcome,
  type Together,
} from '../../../../src/store/postgres/create-batch-commit.js';
import { usePostgresDatabase } from '../../../support/postgres-test-database.js';

const database = await usePostgresDatabase('postgres/create-batch-commit.test.ts');

describe.skipIf(database === undefined)('the PostgreSQL batch commit', () => {
  let pool: pg.Pool;
  let batch: BatchCommit;
  const statements: string[] = [];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: database?.url ?? '' });
    // The file's database is dropped WITH (FORCE) after it: an idle connection then hears of it.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        if (typeof args[0] === 'string') statements.push(args[0].trim().split(/\s+/)[0] ?? '');
        return query(...args);
      };
    });
    await pool.query('CREATE TABLE rows (id text PRIMARY KEY)');
    batch = createBatchCommit({ pool, database: 'test' });
  });

  afterAll(async () => {
    await pool.end();
  });

  const ids = async () =>
    (await pool.query<{ id: string }>('SELECT id FROM rows ORDER BY id')).rows.map((r) => r.id);
  const insert = (id: string) => batch.run((sql) => sql.run('INSERT INTO rows (id) VALUES ($1)', [id]));

  it('runs a change alone without a savepoint, and rolls it back whole when it fails after writing', async () => {
    statements.length = 0;
    await insert('a');
    expect(statements).toEqual(['BEGIN', 'INSERT', 'COMMIT']);

    statements.length = 0;
    const failing = batch.run(async (sql) => {
      await sql.run('INSERT INTO rows (id) VALUES ($1)', ['b']);
      throw new StagegateError('NOT_FOUND', 'gone after writing');
    });
    await expect(failing).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(statements).toEqual(['BEGIN', 'INSERT', 'ROLLBACK']);
    // A statement the database refuses (a duplicate key) is undone the same way.
    await expect(insert('a')).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await insert('c');
    expect(await ids()).toEqual(['a', 'c']);
  });

  it('undoes a failing change of several alone: the others commit', async () => {
    statements.length = 0;
    const results = await Promise.allSettled([insert('d'), insert('a'), insert('e')]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(statements.filter((s) => s === 'SAVEPOINT')).toHaveLength(3);
    expect(statements.at(-1)).toBe('COMMIT');
    expect(await ids()).toEqual(['a', 'c', 'd', 'e']);
  });

  // Changes of one kind run as one call of the first's runAll, or one by one when that call fails.
  const together = (id: string, failAll = false): Together<string> => ({
    kind: 'insert',
    input: id,
    async runAll(sql, inputs) {
      if (failAll) throw new Error('refused together');
      const rows = await sql.rows<{ id: string }>(
        'INSERT INTO rows (id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING id',
        [inputs],
      );
      const taken = new Set(rows.map((row) => row.id));
      return inputs.map(
        (input): Outcome =>
          taken.has(input as string)
            ? { ok: true, value: `together ${input as string}` }
            : { ok: false, error: new StagegateError('CONFLICT', `${input as string} taken`) },
      );
    },
  });
  const insertTogether = (id: string, failAll = false) =>
    batch.run(
      async (sql) => {
        await sql.run('INSERT INTO rows (id) VALUES ($1)', [id]);
        return `alone ${id}`;
      },
      together(id, failAll),
    );

  it('runs consecutive changes of one kind in one call, without savepoints when they are the whole batch', async () => {
    statements.length = 0;
    const results = await Promise.allSettled([insertTogether('f'), insertTogether('a'), insertTogether('g')]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 'together f' },
      { status: 'rejected', reason: expect.objectContaining({ code: 'CONFLICT' }) },
      { status: 'fulfilled', value: 'together g' },
    ]);
    expect(statements).toEqual(['BEGIN', 'INSERT', 'COMMIT']);
    expect(await ids()).toEqual(['a', 'c', 'd', 'e', 'f', 'g']);
  });

  it('keeps the order of the batch around changes run together, each run under one savepoint', async () => {
    statements.length = 0;
    const results = await Promise.allSettled([
      insert('h'),
      insertTogether('i'),
      insertTogether('j'),
      insert('k'),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect(statements).toEqual([
      'BEGIN',
      ...['SAVEPOINT', 'INSERT', 'RELEASE'],
      ...['SAVEPOINT', 'INSERT', 'RELEASE'],
      ...['SAVEPOINT', 'INSERT', 'RELEASE'],
      'COMMIT',
    ]);
    expect(await ids()).toEqual(['a', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']);
  });

  it('runs the changes one by one when their call together fails, so one refused change undoes only itself', async () => {
    statements.length = 0;
    // The whole batch: the transaction is begun again.
    const alone = await Promise.allSettled([insertTogether('l', true), insertTogether('a', true)]);
    expect(alone).toEqual([
      { status: 'fulfilled', value: 'alone l' },
      { status: 'rejected', reason: expect.objectContaining({ code: 'STORE_FAILED' }) },
    ]);
    expect(statements).toEqual([
      'BEGIN',
      'ROLLBACK',
      'BEGIN',
      ...['SAVEPOINT', 'INSERT', 'RELEASE'],
      ...['SAVEPOINT', 'INSERT', 'ROLLBACK'],
      'COMMIT',
    ]);
    // Among other changes: back to the savepoint before them.
    statements.length = 0;
    const mixed = await Promise.allSettled([
      insert('m'),
      insertTogether('n', true),
      insertTogether('o', true),
    ]);
    expect(mixed.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(statements.slice(0, 6)).toEqual([
      'BEGIN',
      'SAVEPOINT',
      'INSERT',
      'RELEASE',
      'SAVEPOINT',
      'ROLLBACK',
    ]);
    expect(await ids()).toEqual(['a', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o']);
  });
});
