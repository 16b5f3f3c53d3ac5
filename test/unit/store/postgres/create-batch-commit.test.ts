// The PostgreSQL batch commit on a real database: a change alone (no savepoint) and changes of a
// batch (each under one) are undone alone when they fail, and what succeeds commits.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StagegateError } from '../../../../src/kernel/errors.js';
import { type BatchCommit, createBatchCommit } from '../../../../src/store/postgres/create-batch-commit.js';
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
});
