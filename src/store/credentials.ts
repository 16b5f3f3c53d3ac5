// Secrets the service obtains itself, sealed before they reach any backend: the AES-256-GCM seal and
// the key ring (STAGEGATE_SECRET_KEY, _OLD), and the vault the rest of the service reads them through.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import { StagegateError } from '../kernel/errors.js';
import { Secret } from '../kernel/secret.js';
import type { Store } from './types.js';

/** One AES-256 key and its id (the first 8 hex of its SHA-256), the id written beside what it seals. */
export interface SecretKey {
  id: string;
  key: Buffer;
}

/**
 * STAGEGATE_SECRET_KEY (seals and opens) and STAGEGATE_SECRET_KEY_OLD (opens only, during a
 * rotation): what the service seals with, and every key it may read with.
 */
export interface SecretKeyRing {
  current: SecretKey;
  old: SecretKey | null;
}

/** A key from its text: 32 bytes as 64 hex digits or as base64; null when it is not one. */
export function parseSecretKey(text: string): SecretKey | null {
  const value = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) key = Buffer.from(value, 'base64');
  if (key === null || key.length !== 32) return null;
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

const version = 'v1';

/**
 * Seals `plaintext` with AES-256-GCM under the ring's current key and a random 96-bit IV. `context`
 * (tenant and kind) is authenticated, not stored: a value copied to another tenant's row fails to open.
 * Format: `v1.<key id>.<iv>.<tag>.<ciphertext>`, base64url.
 */
export function sealCredential(ring: SecretKeyRing, context: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.current.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), data].map((part) => part.toString('base64url'));
  return [version, ring.current.id, ...parts].join('.');
}

/** What a sealed value holds, and whether it was sealed with the old key (so should be sealed again). */
export interface OpenedCredential {
  plaintext: string;
  stale: boolean;
}

/** Opens a sealed value; STORE_FAILED (no value in it) when no key of the ring opens it. */
export function openCredential(ring: SecretKeyRing, context: string, sealed: string): OpenedCredential {
  const [tag, keyId, iv, authTag, data, ...rest] = sealed.split('.');
  const fail = (why: string) =>
    new StagegateError('STORE_FAILED', `A stored credential (${context}) cannot be opened: ${why}.`, {
      details: { context, keyId },
    });
  if (tag !== version || rest.length > 0 || !iv || !authTag || data === undefined) {
    throw fail('it is not a sealed credential');
  }
  const key = [ring.current, ring.old].find((candidate) => candidate?.id === keyId);
  if (!key) {
    throw fail(
      `it was sealed with key ${keyId}, which is neither STAGEGATE_SECRET_KEY nor STAGEGATE_SECRET_KEY_OLD`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(authTag, 'base64url'));
    const plaintext = Buffer.concat([
      decipher.update(Buffer.from(data, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
    return { plaintext, stale: key.id !== ring.current.id };
  } catch {
    throw fail('it does not authenticate (altered, or sealed for another tenant)');
  }
}

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
