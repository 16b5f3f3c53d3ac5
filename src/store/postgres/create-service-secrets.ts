import type pg from 'pg';
import { storeFailed } from './create-batch-commit.js';

/**
 * Secrets the service makes for itself that every instance must hold alike (the callback secret),
 * one row per name (migration 5). The value is opaque here: the caller seals it first when a key
 * is configured (src/server/read-or-create-secret.ts).
 */
export interface ServiceSecrets {
  /** The stored value of that name; when there is none, `candidate` is stored and returned (the first instance wins). */
  readOrCreate(name: string, candidate: string): Promise<string>;
  /** Replaces the value only if it is still `expected` (sealing a plain one); true when it was replaced. */
  replace(name: string, expected: string, next: string): Promise<boolean>;
}

interface StoredSecret {
  value: string;
}

export function createServiceSecrets(options: { pool: pg.Pool; database: string }): ServiceSecrets {
  const { pool, database } = options;
  const query = async <T extends pg.QueryResultRow>(text: string, params: unknown[]) =>
    pool.query<T>(text, params).catch((error: unknown) => {
      throw storeFailed('Could not read or write a service secret in PostgreSQL', error, database);
    });
  return {
    async readOrCreate(name, candidate) {
      const inserted = await query<{ record: StoredSecret }>(
        `INSERT INTO service_secrets (name, record) VALUES ($1, $2::json)
         ON CONFLICT (name) DO NOTHING RETURNING record`,
        [name, JSON.stringify({ value: candidate })],
      );
      if (inserted.rows[0] !== undefined) return inserted.rows[0].record.value;
      // A second statement, so a new snapshot: an instance that inserted at the same moment has
      // committed by now (ON CONFLICT waited for it), and its row is the one everyone uses.
      const found = await query<{ record: StoredSecret }>(
        'SELECT record FROM service_secrets WHERE name = $1',
        [name],
      );
      const value = found.rows[0]?.record.value;
      if (value === undefined) throw storeFailed(`The service secret ${name} vanished`, 'no row', database);
      return value;
    },
    async replace(name, expected, next) {
      const result = await query(
        `UPDATE service_secrets SET record = $3::json WHERE name = $1 AND record ->> 'value' = $2`,
        [name, expected, JSON.stringify({ value: next })],
      );
      return (result.rowCount ?? 0) > 0;
    },
  };
}
