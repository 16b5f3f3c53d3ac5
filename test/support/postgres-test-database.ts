// A PostgreSQL database of a test file's own, on the machine's cluster (127.0.0.1:5432, trust auth):
// created at the file's start, dropped after it. Where no PostgreSQL answers, the file's suites are
// skipped with one line, unless STAGEGATE_TEST_POSTGRES=required (CI), which fails them instead.
import { afterAll } from 'vitest';
import { describeDatabase } from '../../src/store/postgres/create-postgres-store.js';
import { createTestDatabase, postgresAdminUrl, postgresProblem } from './create-test-database.js';

export { postgresAdminUrl } from './create-test-database.js';
export { schemaForDir } from './schema-for-dir.js';

export const postgresRequired = process.env.STAGEGATE_TEST_POSTGRES === 'required';

export interface TestDatabase {
  /** The DATABASE_URL of the new database. */
  url: string;
  name: string;
}

/**
 * Creates the file's database (dropped after the file), or returns undefined, having said why in one
 * line, when no PostgreSQL is reachable and it is not required. Sets STAGEGATE_TEST_DATABASE_URL for
 * the child processes the file starts.
 */
export async function usePostgresDatabase(file: string): Promise<TestDatabase | undefined> {
  const problem = await postgresProblem();
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
  const database = await createTestDatabase();
  afterAll(database.drop);
  process.env.STAGEGATE_TEST_DATABASE_URL = database.url;
  return { url: database.url, name: database.name };
}
