import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { StagegateError } from '../kernel/errors.js';

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
