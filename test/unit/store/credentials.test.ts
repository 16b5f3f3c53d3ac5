import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/kernel/clock.js';
import { createCredentialVault, parseSecretKey, type SecretKeyRing } from '../../../src/store/credentials.js';
import { createSqliteStore, sqliteFileName } from '../../../src/store/sqlite/create-sqlite-store.js';
import type { Store } from '../../../src/store/types.js';

const keyA = parseSecretKey('a'.repeat(64));
const keyB = parseSecretKey(Buffer.alloc(32, 7).toString('base64'));
const clock = createManualClock(Date.UTC(2026, 0, 1));
const grant = { accessToken: 'at-visible-only-inside-4821', refreshToken: 'rt-9931' };

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagegate-vault-'));
  store = await createSqliteStore({ dir, clock });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function ring(current: typeof keyA, old: typeof keyA = null): SecretKeyRing {
  if (current === null) throw new Error('test key did not parse');
  return { current, old };
}

describe('parseSecretKey', () => {
  it('takes 32 bytes as hex or base64 and nothing else', () => {
    expect(keyA?.key.length).toBe(32);
    expect(keyB?.key.length).toBe(32);
    expect(keyA?.id).toMatch(/^[0-9a-f]{8}$/);
    expect(keyA?.id).not.toBe(keyB?.id);
    expect(parseSecretKey('a'.repeat(62))).toBeNull();
    expect(parseSecretKey('correct horse battery staple')).toBeNull();
  });
});

describe('the credential vault', () => {
  it('keeps nothing in the clear on disk, and gives the value back wrapped', async () => {
    const vault = createCredentialVault({ store, keys: ring(keyA), clock });
    await vault.write('acme', 'lever-oauth', grant);
    await store.close();
    const bytes = [sqliteFileName, `${sqliteFileName}-wal`].map((name) =>
      readFile(join(dir, name)).catch(() => Buffer.alloc(0)),
    );
    const onDisk = Buffer.concat(await Promise.all(bytes)).toString('latin1');
    expect(onDisk).not.toContain('at-visible-only-inside-4821');
    expect(onDisk).not.toContain('rt-9931');
    store = await createSqliteStore({ dir, clock });
    const reopened = createCredentialVault({ store, keys: ring(keyA), clock });
    const secret = await reopened.get('acme', 'lever-oauth');
    expect(inspect(secret)).toBe('[secret]');
    expect(await reopened.read('acme', 'lever-oauth')).toEqual(grant);
  });

  it('refuses a value moved to another tenant, and one sealed with an unknown key', async () => {
    await createCredentialVault({ store, keys: ring(keyA), clock }).write('acme', 'lever-oauth', grant);
    const row = await store.getCredential('acme', 'lever-oauth');
    if (row === undefined) throw new Error('not stored');
    await store.putCredential({ ...row, tenant: 'globex' });
    const vault = createCredentialVault({ store, keys: ring(keyA), clock });
    await expect(vault.read('globex', 'lever-oauth')).rejects.toMatchObject({ code: 'STORE_FAILED' });
    const other = createCredentialVault({ store, keys: ring(keyB), clock });
    const refused = await other.read('acme', 'lever-oauth').catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'STORE_FAILED' });
    expect(String((refused as Error).message)).toMatch(/STAGEGATE_SECRET_KEY_OLD/);
  });

  it('rotates: the old key still opens, and what it opened is sealed again with the new one', async () => {
    await createCredentialVault({ store, keys: ring(keyA), clock }).write('acme', 'lever-oauth', grant);
    const before = (await store.getCredential('acme', 'lever-oauth'))?.sealed;
    expect(before?.split('.')[1]).toBe(keyA?.id);

    const rotating = createCredentialVault({ store, keys: ring(keyB, keyA), clock });
    expect(await rotating.read('acme', 'lever-oauth')).toEqual(grant);
    expect((await store.getCredential('acme', 'lever-oauth'))?.sealed.split('.')[1]).toBe(keyB?.id);

    // Once every value is sealed again, the old key can go.
    const rotated = createCredentialVault({ store, keys: ring(keyB), clock });
    expect(await rotated.read('acme', 'lever-oauth')).toEqual(grant);
  });
});

describe('the credential vault: compare-and-swap', () => {
  it('writes over the version read, and not over a newer one; a reseal on rotation is a new version', async () => {
    const vault = createCredentialVault({ store, keys: ring(keyA), clock });
    expect(await vault.readVersioned('acme', 'lever-oauth')).toBeUndefined();
    const first = await vault.writeIf('acme', 'lever-oauth', grant, null);
    expect(first).not.toBe(false);
    expect(await vault.writeIf('acme', 'lever-oauth', { ...grant, refreshToken: 'x' }, null)).toBe(false);
    const read = await vault.readVersioned<typeof grant>('acme', 'lever-oauth');
    expect(read?.value).toEqual(grant);
    expect(read?.version).toBe(first === false ? '' : first.version);
    const next = { ...grant, refreshToken: 'rt-rotated' };
    expect(await vault.writeIf('acme', 'lever-oauth', next, read?.version ?? null)).not.toBe(false);
    // The version read before that write is stale now.
    expect(await vault.writeIf('acme', 'lever-oauth', grant, read?.version ?? null)).toBe(false);
    expect(await vault.read('acme', 'lever-oauth')).toEqual(next);

    // Opened with the old key, it is sealed again: the version returned is the resealed one.
    const rotating = createCredentialVault({ store, keys: ring(keyB, keyA), clock });
    const resealed = await rotating.readVersioned<typeof grant>('acme', 'lever-oauth');
    expect(resealed?.version.split('.')[1]).toBe(keyB?.id);
    expect(await rotating.writeIf('acme', 'lever-oauth', grant, resealed?.version ?? null)).not.toBe(false);
  });
});
