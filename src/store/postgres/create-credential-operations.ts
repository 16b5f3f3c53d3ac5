import { checkTenant } from '../check-tenant.js';
import type { CredentialRecord, Store } from '../types.js';
import type { PostgresContext } from './postgres-context.js';

type CredentialOperations = Pick<Store, 'putCredential' | 'getCredential' | 'deleteCredential'>;

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
