import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { StagegateError } from '../kernel/errors.js';
import { openCredential, type SecretKeyRing, sealCredential } from '../store/credentials.js';
import type { ServiceSecrets } from '../store/postgres/shared-by-instances.js';

/**
 * A secret kept in a file (mode 600), made on first start: callback URLs handed to vendors must
 * keep working across restarts without the operator having to configure one.
 */
export function readOrCreateSecret(path: string): string {
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing !== '') return existing;
  } catch {
    // first start: created below
  }
  const secret = randomBytes(32).toString('hex');
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'w' });
  return secret;
}

/** Authenticated with a sealed value: no tenant id starts with `#`, so no credential's context is this. */
const sealContext = (name: string) => `#service\0${name}`;
const plainPrefix = 'plain:';

/**
 * The same secret on every instance of a database: the first to start makes it and stores it, the
 * others read it. With STAGEGATE_SECRET_KEY it is sealed like the OAuth credentials (and a plain one
 * left from before the key was set is sealed on the next start); without a key it is stored as it
 * is, which is what the file in the data directory was: whoever can read the store can read it.
 */
export async function readOrCreateSharedSecret(options: {
  secrets: ServiceSecrets;
  name: string;
  keys: SecretKeyRing | null;
}): Promise<string> {
  const { secrets, name, keys } = options;
  const made = randomBytes(32).toString('hex');
  const stored = await secrets.readOrCreate(
    name,
    keys === null ? `${plainPrefix}${made}` : sealCredential(keys, sealContext(name), made),
  );
  if (stored.startsWith(plainPrefix)) {
    const value = stored.slice(plainPrefix.length);
    // Sealed now that there is a key; of instances doing this at once, one replaces it.
    if (keys !== null) await secrets.replace(name, stored, sealCredential(keys, sealContext(name), value));
    return value;
  }
  if (keys === null) {
    throw new StagegateError(
      'STORE_FAILED',
      `The ${name} in the database is sealed with STAGEGATE_SECRET_KEY, which is not set: set it (as on the other instances), or set STAGEGATE_CALLBACK_SECRET.`,
    );
  }
  const opened = openCredential(keys, sealContext(name), stored);
  if (opened.stale)
    await secrets.replace(name, stored, sealCredential(keys, sealContext(name), opened.plaintext));
  return opened.plaintext;
}
