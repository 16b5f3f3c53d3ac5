// A PostgreSQL database of its own on the machine's cluster (127.0.0.1:5432, trust auth, or
// STAGEGATE_TEST_POSTGRES_URL), for test files (postgres-test-database.ts) and the soak script.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The cluster the tests create their databases on. */
export const postgresAdminUrl =
  process.env.STAGEGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface CreatedDatabase {
  /** The DATABASE_URL of the new database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Why no PostgreSQL answers at postgresAdminUrl, or undefined when one does. */
export async function postgresProblem(): Promise<string | undefined> {
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

export async function createTestDatabase(): Promise<CreatedDatabase> {
  const name = `stagegate_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
