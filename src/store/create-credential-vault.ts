import type { Clock } from '../kernel/clock.js';
import { Secret } from '../kernel/secret.js';
import { openCredential, type SecretKeyRing, sealCredential } from './seal-credential.js';
import type { Store } from './types.js';

/**
 * Secrets the service obtains itself, encrypted at rest: the store holds only what
 * sealCredential made of them. A value sealed with STAGEGATE_SECRET_KEY_OLD is opened and sealed
 * again with the current key the first time it is read, so a rotation completes as tenants are used
 * (and at once for any value written).
 */
export interface CredentialVault {
  /** The JSON value stored under (tenant, kind), wrapped so that it cannot reach a log by accident. */
  get(tenant: string, kind: string): Promise<Secret | undefined>;
  /** Parsed; undefined when there is none. The object is the caller's to keep out of logs. */
  read<T>(tenant: string, kind: string): Promise<T | undefined>;
  write(tenant: string, kind: string, value: unknown): Promise<void>;
  /** True when there was one to forget. */
  forget(tenant: string, kind: string): Promise<boolean>;
}

export function createCredentialVault(options: {
  store: Store;
  keys: SecretKeyRing;
  clock: Clock;
}): CredentialVault {
  const { store, keys, clock } = options;
  const context = (tenant: string, kind: string) => `${tenant}\0${kind}`;
  const write = async (tenant: string, kind: string, value: unknown) => {
    const sealed = sealCredential(keys, context(tenant, kind), JSON.stringify(value));
    await store.putCredential({ tenant, kind, sealed, updatedAt: clock.now() });
  };
  const get = async (tenant: string, kind: string): Promise<Secret | undefined> => {
    const record = await store.getCredential(tenant, kind);
    if (record === undefined) return undefined;
    const opened = openCredential(keys, context(tenant, kind), record.sealed);
    if (opened.stale) {
      const resealed = sealCredential(keys, context(tenant, kind), opened.plaintext);
      await store.putCredential({ tenant, kind, sealed: resealed, updatedAt: record.updatedAt });
    }
    return new Secret(opened.plaintext);
  };
  return {
    get,
    async read<T>(tenant: string, kind: string) {
      const value = await get(tenant, kind);
      return value === undefined ? undefined : (JSON.parse(value.reveal()) as T);
    },
    write,
    forget: (tenant, kind) => store.deleteCredential(tenant, kind),
  };
}
