import { checkTenant } from '../records.js';
import type { CredentialRecord, Store } from '../types.js';
import type { SqliteContext } from './sqlite-context.js';

type CredentialOperations = Pick<
  Store,
  'putCredential' | 'putCredentialIf' | 'getCredential' | 'deleteCredential'
>;

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

    async putCredentialIf(record, expectedSealed) {
      checkTenant(record.tenant);
      const copy: CredentialRecord = {
        tenant: record.tenant,
        kind: record.kind,
        sealed: record.sealed,
        updatedAt: record.updatedAt,
      };
      const text = JSON.stringify(copy);
      // Compared inside the write's transaction: another connection's write to the file is either
      // committed before it (and compared against) or waits for it.
      return context.write(() =>
        expectedSealed === null
          ? context
              .query('INSERT OR IGNORE INTO credentials (tenant, kind, record) VALUES (?, ?, ?)')
              .run(copy.tenant, copy.kind, text).changes > 0
          : context
              .query(
                "UPDATE credentials SET record = ? WHERE tenant = ? AND kind = ? AND json_extract(record, '$.sealed') = ?",
              )
              .run(text, copy.tenant, copy.kind, expectedSealed).changes > 0,
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
