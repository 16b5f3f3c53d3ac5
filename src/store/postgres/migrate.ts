import type pg from 'pg';
import { StagegateError } from '../../kernel/errors.js';
import { type Migration, migrations } from './migrations.js';

/**
 * Brings the schema up to the newest migration, in one transaction under an advisory lock: of
 * several instances starting at once, the first applies what is missing and the others wait for its
 * commit, then find nothing left to do. A database newer than this code is refused, not touched.
 */
export async function migrate(
  client: pg.ClientBase,
  schema: string,
  database: string,
  list: readonly Migration[] = migrations,
): Promise<void> {
  const newest = list.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('stagegate.migrate:' || $1))", [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT coalesce(max(version), 0) AS version FROM schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > newest) {
      throw new StagegateError(
        'STORE_FAILED',
        `The database ${database} has schema version ${current}; this stagegate knows up to ${newest}. ` +
          'Run the newer stagegate, or restore a backup taken before it migrated.',
        { details: { database, version: current, newest } },
      );
    }
    for (const migration of list.filter((m) => m.version > current)) {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
