// A PostgreSQL database of a test file's own, on the machine's cluster (127.0.0.1:5432, trust auth):
// created at the file's start, dropped after it. Where no PostgreSQL answers, the file's suites are
// skipped with one line, unless STAGEGATE_TEST_POSTGRES=required (CI), which fails them instead.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { describeDatabase } from '../../src/store/postgres/describe-database.js';

export { schemaForDir } from './schema-for-dir.js';

/** The cluster the tests create their databases on. */
export const postgresAdminUrl =
  process.env.STAGEGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const postgresRequired = process.env.STAGEGATE_TEST_POSTGRES === 'required';

export interface TestDatabase {
  /** The DATABASE_URL of the new database. */
  url: string;
  name: string;
}

async function reachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the file's database (dropped after the file), or returns undefined, having said why in one
 * line, when no PostgreSQL is reachable and it is not required. Sets STAGEGATE_TEST_DATABASE_URL for
 * the child processes the file starts.
 */
export async function usePostgresDatabase(file: string): Promise<TestDatabase | undefined> {
  const problem = await reachable();
  if (problem !== undefined) {
    if (postgresRequired) {
      throw new Error(
        `STAGEGATE_TEST_POSTGRES=required, but PostgreSQL at ${describeDatabase(postgresAdminUrl)} is not reachable: ${problem}`,
      );
    }
    console.warn(
      `[${file}] PostgreSQL suites skipped: no PostgreSQL at ${describeDatabase(postgresAdminUrl)} (${problem}).`,
    );
    return undefined;
  }
  const name = `stagegate_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  afterAll(async () => {
    await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  process.env.STAGEGATE_TEST_DATABASE_URL = url.toString();
  return { url: url.toString(), name };
}
