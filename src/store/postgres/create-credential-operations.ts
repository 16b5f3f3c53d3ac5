import { checkTenant } from '../records.js';
import type { CredentialRecord, Store } from '../types.js';
import type { PostgresContext } from './postgres-context.js';

type CredentialOperations = Pick<
  Store,
  'putCredential' | 'putCredentialIf' | 'getCredential' | 'deleteCredential'
>;

/** Credentials: one row per tenant and kind (migration 4), the sealed value never decrypted here. */
export function createCredentialOperations(context: PostgresContext): CredentialOperations {
  return {
    async putCredential(record) {
      checkTenant(record.tenant);
      const copy: CredentialRecord = {
        tenant: record.tenant,
        kind: record.kind,
        sealed: record.sealed,
        updatedAt: record.updatedAt,
      };
      await context.write((sql) =>
        sql.run(
          `INSERT INTO credentials (tenant, kind, record) VALUES ($1, $2, $3::json)
           ON CONFLICT (tenant, kind) DO UPDATE SET record = EXCLUDED.record`,
          [copy.tenant, copy.kind, JSON.stringify(copy)],
        ),
      );
    },

    async putCredentialIf(record, expectedSealed) {
      checkTenant(record.tenant);
      const copy: CredentialRecord = {
        tenant: record.tenant,
        kind: record.kind,
        sealed: record.sealed,
        updatedAt: record.updatedAt,
      };
      const text = JSON.stringify(copy);
      // Under READ COMMITTED an UPDATE that meets a row another transaction is changing waits for it
      // and then tests its WHERE against the committed row: of two instances expecting the same
      // value, one writes and the other finds 0 rows. ON CONFLICT DO NOTHING does the same for inserts.
      return context.write(
        async (sql) =>
          (expectedSealed === null
            ? await sql.run(
                `INSERT INTO credentials (tenant, kind, record) VALUES ($1, $2, $3::json)
                 ON CONFLICT (tenant, kind) DO NOTHING`,
                [copy.tenant, copy.kind, text],
              )
            : await sql.run(
                `UPDATE credentials SET record = $3::json
                 WHERE tenant = $1 AND kind = $2 AND record->>'sealed' = $4`,
                [copy.tenant, copy.kind, text, expectedSealed],
              )) > 0,
      );
    },

    async getCredential(tenant, kind) {
      const [row] = await context.read.rows<{ record: CredentialRecord }>(
        'SELECT record FROM credentials WHERE tenant = $1 AND kind = $2',
        [tenant, kind],
      );
      return row?.record;
    },

    async deleteCredential(tenant, kind) {
      // A row is deleted once: a concurrent delete (here or on another instance) waits on its lock
      // and then finds nothing, so only one caller gets true.
      return context.write(
        async (sql) =>
          (await sql.run('DELETE FROM credentials WHERE tenant = $1 AND kind = $2', [tenant, kind])) > 0,
      );
    },
  };
}
