import { checkTenant } from '../check-tenant.js';
import type { CredentialRecord, Store } from '../types.js';
import type { SqliteContext } from './sqlite-context.js';

type CredentialOperations = Pick<Store, 'putCredential' | 'getCredential' | 'deleteCredential'>;

/** Credentials: one row per tenant and kind, the sealed value never decrypted here. */
export function createCredentialOperations(context: SqliteContext): CredentialOperations {
  return {
    async putCredential(record) {
      checkTenant(record.tenant);
      const copy: CredentialRecord = {
        tenant: record.tenant,
        kind: record.kind,
        sealed: record.sealed,
        updatedAt: record.updatedAt,
      };
      await context.write(() =>
        context
          .query('INSERT OR REPLACE INTO credentials (tenant, kind, record) VALUES (?, ?, ?)')
          .run(copy.tenant, copy.kind, JSON.stringify(copy)),
      );
    },

    async getCredential(tenant, kind) {
      const text = context
        .query('SELECT record FROM credentials WHERE tenant = ? AND kind = ?')
        .pluck()
        .get(tenant, kind);
      return typeof text === 'string' ? (JSON.parse(text) as CredentialRecord) : undefined;
    },

    async deleteCredential(tenant, kind) {
      return context.write(
        () =>
          context.query('DELETE FROM credentials WHERE tenant = ? AND kind = ?').run(tenant, kind).changes >
          0,
      );
    },
  };
}
