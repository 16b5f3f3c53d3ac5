import { checkTenant } from '../records.js';
import type { CredentialRecord, Store } from '../types.js';
import type { StoreContext } from './store-context.js';

type CredentialOperations = Pick<
  Store,
  'putCredential' | 'putCredentialIf' | 'getCredential' | 'deleteCredential'
>;

/** Credentials: in the tenant's own file, by kind, the sealed value never decrypted here. */
export function createCredentialOperations(context: StoreContext): CredentialOperations {
  return {
    async putCredential(record) {
      checkTenant(record.tenant);
      const partition = context.partitionFor(record.tenant);
      partition.db.data.credentials[record.kind] = {
        tenant: record.tenant,
        kind: record.kind,
        sealed: record.sealed,
        updatedAt: record.updatedAt,
      };
      await partition.commit.commit();
    },

    async putCredentialIf(record, expectedSealed) {
      checkTenant(record.tenant);
      const partition = context.partitionFor(record.tenant);
      const credentials = partition.db.data.credentials;
      // Compared and replaced in memory in one step (no await between), so of two writers expecting
      // the same value one wins; this store is one process's (its lock file), so that is every writer.
      const current = Object.hasOwn(credentials, record.kind) ? credentials[record.kind] : undefined;
      if ((current?.sealed ?? null) !== expectedSealed) return false;
      credentials[record.kind] = {
        tenant: record.tenant,
        kind: record.kind,
        sealed: record.sealed,
        updatedAt: record.updatedAt,
      };
      await partition.commit.commit();
      return true;
    },

    async getCredential(tenant, kind) {
      context.assertOpen();
      const found: CredentialRecord | undefined = context.partitions.get(tenant)?.db.data.credentials[kind];
      return found === undefined ? undefined : { ...found };
    },

    async deleteCredential(tenant, kind) {
      context.assertOpen();
      const partition = context.partitions.get(tenant);
      if (partition === undefined || partition.db.data.credentials[kind] === undefined) return false;
      // Removed from memory at once, so a second delete (or read) sees it gone before the write lands.
      delete partition.db.data.credentials[kind];
      await partition.commit.commit();
      return true;
    },
  };
}
