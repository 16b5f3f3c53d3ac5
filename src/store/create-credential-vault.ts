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
  /**
   * Parsed, with its version (opaque: what a compare-and-swap expects). For a read-modify-write that
   * another instance may race: read, change, then writeIf with the version read.
   */
  readVersioned<T>(tenant: string, kind: string): Promise<Versioned<T> | undefined>;
  /** Writes only if the stored value is still at `version` (null: none stored); false when another write came first. */
  writeIf(
    tenant: string,
    kind: string,
    value: unknown,
    version: string | null,
  ): Promise<Versioned<unknown> | false>;
  /**
   * Seals a value the service hands out and later takes back (the connect flow's `state`), for
   * `purpose`: only this service's keys open it, and nothing stored under a tenant opens as it.
   */
  seal(purpose: string, value: unknown): string;
  /** The value sealed for `purpose`; undefined when it does not open (forged, altered, another purpose). */
  unseal<T>(purpose: string, sealed: string): T | undefined;
  /** True when there was one to forget. */
  forget(tenant: string, kind: string): Promise<boolean>;
}

export interface Versioned<T> {
  value: T;
  version: string;
}

export function createCredentialVault(options: {
  store: Store;
  keys: SecretKeyRing;
  clock: Clock;
}): CredentialVault {
  const { store, keys, clock } = options;
  const context = (tenant: string, kind: string) => `${tenant}\0${kind}`;
  const seal = (tenant: string, kind: string, value: unknown) =>
    sealCredential(keys, context(tenant, kind), JSON.stringify(value));
  const write = async (tenant: string, kind: string, value: unknown) => {
    await store.putCredential({ tenant, kind, sealed: seal(tenant, kind, value), updatedAt: clock.now() });
  };
  /** The plaintext and the sealed text it is stored as (after a reseal, the new one). */
  const open = async (tenant: string, kind: string) => {
    const record = await store.getCredential(tenant, kind);
    if (record === undefined) return undefined;
    const opened = openCredential(keys, context(tenant, kind), record.sealed);
    if (!opened.stale) return { plaintext: opened.plaintext, sealed: record.sealed };
    const resealed = sealCredential(keys, context(tenant, kind), opened.plaintext);
    // Only over what was read: a write that came in between (a refresh on another instance) is newer
    // than this plaintext and must not be replaced by it.
    const swapped = await store.putCredentialIf(
      { tenant, kind, sealed: resealed, updatedAt: record.updatedAt },
      record.sealed,
    );
    return { plaintext: opened.plaintext, sealed: swapped ? resealed : record.sealed };
  };
  const get = async (tenant: string, kind: string): Promise<Secret | undefined> => {
    const opened = await open(tenant, kind);
    return opened === undefined ? undefined : new Secret(opened.plaintext);
  };
  return {
    get,
    async read<T>(tenant: string, kind: string) {
      const value = await get(tenant, kind);
      return value === undefined ? undefined : (JSON.parse(value.reveal()) as T);
    },
    write,
    async readVersioned<T>(tenant: string, kind: string) {
      const opened = await open(tenant, kind);
      return opened === undefined
        ? undefined
        : { value: JSON.parse(opened.plaintext) as T, version: opened.sealed };
    },
    async writeIf(tenant, kind, value, version) {
      const sealed = seal(tenant, kind, value);
      const written = await store.putCredentialIf({ tenant, kind, sealed, updatedAt: clock.now() }, version);
      return written ? { value, version: sealed } : false;
    },
    // A tenant's context always has a NUL in it; a purpose's never does, so the two cannot meet.
    seal: (purpose, value) => sealCredential(keys, `#${purpose}`, JSON.stringify(value)),
    unseal<T>(purpose: string, sealed: string) {
      try {
        return JSON.parse(openCredential(keys, `#${purpose}`, sealed).plaintext) as T;
      } catch {
        return undefined;
      }
    },
    forget: (tenant, kind) => store.deleteCredential(tenant, kind),
  };
}
