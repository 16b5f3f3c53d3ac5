// The callback secret on PostgreSQL: made by the first instance, read by the others, sealed under
// STAGEGATE_SECRET_KEY when one is set. (That either instance accepts the other's callback URLs is
// checked end to end in rolling-deploy.test.ts.) The last case starts the real service.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kernel/clock.js';
import { readOrCreateSharedSecret } from '../../src/server/read-or-create-secret.js';
import { parseSecretKey, type SecretKeyRing } from '../../src/store/credentials.js';
import { createPostgresStore, type PostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { usePostgresDatabase } from '../support/postgres-test-database.js';
import { databaseUrlForDir } from '../support/schema-for-dir.js';
import { createWorkspace, sandboxTenant, startStagegate } from '../support/start-stagegate.js';

const database = await usePostgresDatabase('shared-callback-secret.test.ts');
const log = pino({ level: 'silent' });

function ring(current: string, old?: string): SecretKeyRing {
  const key = parseSecretKey(current);
  const previous = old === undefined ? null : parseSecretKey(old);
  if (key === null) throw new Error('not a key');
  return { current: key, old: previous };
}

describe.skipIf(database === undefined)('the callback secret shared through PostgreSQL', () => {
  const url = database?.url ?? '';
  let instances: PostgresStore[] = [];
  let admin: pg.Client;

  beforeAll(async () => {
    instances = await Promise.all([1, 2, 3].map(() => createPostgresStore({ url, clock: systemClock, log })));
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  afterAll(async () => {
    await admin.end();
    await Promise.all(instances.map((store) => store.close()));
  });

  const stored = async (name: string) =>
    (
      await admin.query<{ record: { value: string } }>('SELECT record FROM service_secrets WHERE name = $1', [
        name,
      ])
    ).rows[0]?.record.value;

  it('is made once by instances starting together, and every one of them holds the same', async () => {
    const keys = ring('aa'.repeat(32));
    const secrets = await Promise.all(
      instances.map((store) =>
        readOrCreateSharedSecret({ secrets: store.serviceSecrets, name: 'together', keys }),
      ),
    );
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]).toMatch(/^[0-9a-f]{64}$/);
    // Sealed at rest: the row does not hold it.
    const row = await stored('together');
    expect(row).toMatch(/^v1\./);
    expect(row).not.toContain(secrets[0]);
    // A later start reads it again.
    const [first] = instances;
    if (!first) throw new Error('no instance');
    expect(await readOrCreateSharedSecret({ secrets: first.serviceSecrets, name: 'together', keys })).toBe(
      secrets[0],
    );
  });

  it('is kept as it is without a key, and sealed at the first start that has one', async () => {
    const [a, b] = instances;
    if (!a || !b) throw new Error('two instances');
    const plain = await readOrCreateSharedSecret({ secrets: a.serviceSecrets, name: 'later', keys: null });
    expect(await stored('later')).toBe(`plain:${plain}`);
    const keys = ring('bb'.repeat(32));
    expect(await readOrCreateSharedSecret({ secrets: b.serviceSecrets, name: 'later', keys })).toBe(plain);
    expect(await stored('later')).toMatch(/^v1\./);
    expect(await readOrCreateSharedSecret({ secrets: a.serviceSecrets, name: 'later', keys })).toBe(plain);
  });

  it('is refused, naming the variable, on an instance without the key it was sealed with', async () => {
    const [a, b] = instances;
    if (!a || !b) throw new Error('two instances');
    const secret = await readOrCreateSharedSecret({
      secrets: a.serviceSecrets,
      name: 'sealed',
      keys: ring('cc'.repeat(32)),
    });
    const without = readOrCreateSharedSecret({ secrets: b.serviceSecrets, name: 'sealed', keys: null });
    await expect(without).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await expect(without).rejects.toThrow(/STAGEGATE_SECRET_KEY.*STAGEGATE_CALLBACK_SECRET/);
    await expect(without).rejects.not.toThrow(secret);
    // A rotated key: the old one opens it, and it is sealed again with the new one.
    const rotated = ring('dd'.repeat(32), 'cc'.repeat(32));
    expect(await readOrCreateSharedSecret({ secrets: b.serviceSecrets, name: 'sealed', keys: rotated })).toBe(
      secret,
    );
    expect(
      await readOrCreateSharedSecret({
        secrets: a.serviceSecrets,
        name: 'sealed',
        keys: ring('dd'.repeat(32)),
      }),
    ).toBe(secret);
  });

  it('is the service’s on PostgreSQL unless STAGEGATE_CALLBACK_SECRET is set, and the data directory keeps none', async () => {
    const root = await createWorkspace({ acme: sandboxTenant('acme', 'http://127.0.0.1:9/v1') });
    try {
      const schemaUrl = databaseUrlForDir(url, join(root, 'data'));
      const schema = new URL(schemaUrl).searchParams.get('options')?.split('=')[1] ?? '';
      const env = {
        STAGEGATE_STORE: 'postgres',
        DATABASE_URL: schemaUrl,
        ACME__LEVER_API_KEY: 'lever-key',
        ACME__TOKEN: 'webhook-token',
        STAGEGATE_SECRET_KEY: 'ee'.repeat(32),
      };
      const rows = async () =>
        (await admin.query<{ name: string }>(`SELECT name FROM ${schema}.service_secrets`)).rows.map(
          (r) => r.name,
        );
      const overridden = await startStagegate(root, { ...env, STAGEGATE_CALLBACK_SECRET: 'f'.repeat(64) });
      await overridden.close();
      expect(await rows()).toEqual([]);
      const made = await startStagegate(root, env);
      await made.close();
      expect(await rows()).toEqual(['callback-secret']);
      expect(await readdir(join(root, 'data'))).not.toContain('callback-secret');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
