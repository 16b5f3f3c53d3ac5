import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envSecretSources } from '../../src/config/resolve-secrets.js';
import {
  type ConfigFiles,
  createTenantRegistry,
  type TenantRegistry,
} from '../../src/config/tenant-registry.js';
import { watchConfig } from '../../src/config/watch-config.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { shippedAllowedHosts } from '../support/load-shipped-tenant.js';

// Real files in a temp directory, the real chokidar watcher, a pino logger writing to memory.
// Every wait is on a registry.onReload event, never on a timer.
const root = resolve(import.meta.dirname, '../..');

type ReloadEvent = Parameters<Parameters<TenantRegistry['onReload']>[0]>[0];

const env = {
  ACME__LEVER_API_KEY: 'acme-lever-key',
  ACME__LEVER_STAGE_TOKEN: 'acme-stage',
  ACME__LEVER_ARCHIVE_TOKEN: 'acme-archive',
  ACME__LEVER_HIRED_TOKEN: 'acme-hired',
  ACME__LEVER_DELETED_TOKEN: 'acme-deleted',
  ACME__VENDOR_KEY: 'acme-vendor',
  DEMO__LEVER_API_KEY: 'demo-lever-key',
  DEMO__LEVER_STAGE_TOKEN: 'demo-stage',
  DEMO__VENDOR_KEY: 'demo-vendor',
  INITECH__LEVER_API_KEY: 'initech-lever-key',
  INITECH__LEVER_STAGE_TOKEN: 'initech-stage',
  INITECH__VENDOR_KEY: 'initech-vendor',
};

const files: ConfigFiles = {
  list: (dir) => readdir(dir),
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  },
};

let dir: string;
let tenantsDir: string;
let rulesDir: string;
let registry: TenantRegistry;
let watcher: ReturnType<typeof watchConfig>;
let logLines: Record<string, unknown>[];
let waiters: { match: (event: ReloadEvent) => boolean; resolve: (event: ReloadEvent) => void }[];

/** The next reload event that matches; ask for it before touching the file. */
function nextReload(match: (event: ReloadEvent) => boolean): Promise<ReloadEvent> {
  return new Promise((resolve) => waiters.push({ match, resolve }));
}

const versionOf = (id: string) => registry.get(id)?.snapshot?.version;
const acmeFile = () => join(tenantsDir, 'acme.yaml');
const acmeText = () => readFile(join(root, 'tenants/acme.yaml'), 'utf8');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagegate-hot-reload-'));
  tenantsDir = join(dir, 'tenants');
  rulesDir = join(dir, 'rules');
  await mkdir(tenantsDir);
  await mkdir(rulesDir);
  await copyFile(join(root, 'tenants/acme.yaml'), join(tenantsDir, 'acme.yaml'));
  await copyFile(join(root, 'tenants/demo.yaml'), join(tenantsDir, 'demo.yaml'));
  await copyFile(join(root, 'rules/assessment-lifecycle.yaml'), join(rulesDir, 'assessment-lifecycle.yaml'));

  logLines = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  registry = createTenantRegistry({
    tenantsDir,
    rulesDir,
    files,
    secrets: envSecretSources(env),
    allowedHosts: shippedAllowedHosts,
    clock: createManualClock(Date.UTC(2025, 0, 15)),
    log,
  });
  waiters = [];
  registry.onReload((event) => {
    for (const waiter of [...waiters]) {
      if (!waiter.match(event)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  });
  await registry.loadAll();
  watcher = watchConfig({ dirs: [tenantsDir, rulesDir], registry, log });
  await watcher.ready;
});

afterEach(async () => {
  await watcher.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hot reload of tenant files', () => {
  it('starts with every tenant ready', () => {
    expect(registry.list().map((entry) => [entry.id, entry.status])).toEqual([
      ['acme', 'ready'],
      ['demo', 'ready'],
    ]);
  });

  it('serves the new version after a good edit', async () => {
    const old = versionOf('acme');
    const loaded = nextReload((e) => e.tenant === 'acme' && e.outcome === 'loaded');
    await writeFile(acmeFile(), (await acmeText()).replace('Acme Corp', 'Acme Corporation'));
    const event = await loaded;

    expect(event.entry?.snapshot?.version).not.toBe(old);
    const entry = registry.get('acme');
    expect(entry?.snapshot?.settings.displayName).toBe('Acme Corporation');
    expect(entry?.status).toBe('ready');
    expect(entry?.lastError).toBeNull();
    expect(logLines).toContainEqual(
      expect.objectContaining({ msg: 'tenant loaded', tenant: 'acme', version: entry?.snapshot?.version }),
    );
  });

  it('keeps the old version serving after a bad edit, and serves the fix', async () => {
    const good = registry.get('acme')?.snapshot;
    const badText = (await acmeText()).replace(
      '    defaultTest: "Backend - Python"',
      '    defaultTset: "Backend - Python"',
    );
    const where = `${acmeFile()}:23:5: unknown key 'defaultTset' (at triggers[0].defaultTset) [unknown-key]`;

    // Matched on the error too: an editor's intermediate write must not satisfy the wait.
    const rejected = nextReload(
      (e) =>
        e.tenant === 'acme' && e.outcome === 'rejected' && e.entry?.lastError?.startsWith(where) === true,
    );
    await writeFile(acmeFile(), badText);
    await rejected;

    const kept = registry.get('acme');
    expect(kept?.snapshot).toBe(good);
    expect(kept?.status).toBe('ready');
    expect(kept?.lastError).toBe(`${where}\n    hint: did you mean 'defaultTest'?`);
    expect(kept?.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'unknown-key', line: 23, col: 5 }),
    );
    expect(logLines).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'tenant edit rejected: the previous version keeps serving',
        tenant: 'acme',
        version: good?.version,
        problems: [expect.stringContaining(where)],
      }),
    );

    const fixed = nextReload((e) => e.tenant === 'acme' && e.outcome === 'loaded');
    await writeFile(
      acmeFile(),
      (await acmeText()).replace('scoring: { pass: 70, fail: 40 }', 'scoring: { pass: 75, fail: 40 }'),
    );
    await fixed;

    const now = registry.get('acme');
    expect(now?.snapshot?.version).not.toBe(good?.version);
    expect(now?.snapshot?.settings.scoring).toEqual({ pass: 75, fail: 40 });
    expect(now?.lastError).toBeNull();
    expect(now?.diagnostics).toEqual([]);
  });

  it("checks an edit as untrusted input too: another tenant's secret, an inline key or an unlisted host is rejected, the old version serves, nothing leaks", async () => {
    const good = registry.get('acme')?.snapshot;
    const inlineKey = 'vk_live_pasted_into_the_file_4f9a';
    const edits = [
      {
        text: (await acmeText()).replace('{ env: ACME__LEVER_API_KEY }', '{ env: DEMO__LEVER_API_KEY }'),
        error: /DEMO__LEVER_API_KEY/,
      },
      {
        text: (await acmeText()).replace('apiKey: { env: ACME__VENDOR_KEY }', `apiKey: "${inlineKey}"`),
        error: /inline/i,
      },
      {
        text: (await acmeText()).replace(
          'baseUrl: https://assessments.hired.example/partner',
          'baseUrl: https://collector.attacker.example/partner',
        ),
        error: /collector\.attacker\.example/,
      },
    ];
    for (const edit of edits) {
      const rejected = nextReload(
        (e) => e.tenant === 'acme' && e.outcome === 'rejected' && edit.error.test(e.entry?.lastError ?? ''),
      );
      await writeFile(acmeFile(), edit.text);
      await rejected;
      expect(registry.get('acme')?.snapshot).toBe(good);
    }
    const seen = JSON.stringify(logLines) + JSON.stringify(registry.list());
    for (const secret of [inlineKey, env.DEMO__LEVER_API_KEY]) expect(seen).not.toContain(secret);
  });

  it('follows an editor-style save: a temp file renamed over the tenant file', async () => {
    const old = versionOf('acme');
    const loaded = nextReload((e) => e.tenant === 'acme' && e.outcome === 'loaded');
    const temp = join(tenantsDir, '.acme.yaml.4821.tmp');
    await writeFile(temp, (await acmeText()).replace('Acme Corp', 'Acme Saved Atomically'));
    await rename(temp, acmeFile());
    await loaded;

    expect(versionOf('acme')).not.toBe(old);
    expect(registry.get('acme')?.snapshot?.settings.displayName).toBe('Acme Saved Atomically');
    expect(registry.list().map((entry) => entry.id)).toEqual(['acme', 'demo']);
  });

  it('reloads every tenant that uses a pack when the pack changes', async () => {
    const old = { acme: versionOf('acme'), demo: versionOf('demo') };
    const reloaded = ['acme', 'demo'].map((id) =>
      nextReload((e) => e.tenant === id && e.outcome === 'loaded'),
    );
    const pack = join(rulesDir, 'assessment-lifecycle.yaml');
    await writeFile(pack, (await readFile(pack, 'utf8')).replace('priority: 40', 'priority: 45'));
    await Promise.all(reloaded);

    expect(versionOf('acme')).not.toBe(old.acme);
    expect(versionOf('demo')).not.toBe(old.demo);
    const report = registry.get('demo')?.snapshot?.rules.find((rule) => rule.name === 'report-completed');
    expect(report?.priority).toBe(45);
  });

  it('keeps every tenant on its old version when a pack they use is broken', async () => {
    const old = { acme: registry.get('acme')?.snapshot, demo: registry.get('demo')?.snapshot };
    const pack = join(rulesDir, 'assessment-lifecycle.yaml');
    const where = `${pack}:14:41: "equals" is not allowed here`;
    const rejected = ['acme', 'demo'].map((id) =>
      nextReload(
        (e) => e.tenant === id && e.outcome === 'rejected' && e.entry?.lastError?.startsWith(where) === true,
      ),
    );
    const text = await readFile(pack, 'utf8');
    await writeFile(
      pack,
      text.replace(
        'operator: equal, value: candidateStageChange',
        'operator: equals, value: candidateStageChange',
      ),
    );
    await Promise.all(rejected);

    expect(registry.get('acme')?.snapshot).toBe(old.acme);
    expect(registry.get('demo')?.snapshot).toBe(old.demo);
    expect(registry.list().map((entry) => entry.status)).toEqual(['ready', 'ready']);
  });

  it('retires a tenant whose file is deleted', async () => {
    const retired = nextReload((e) => e.tenant === 'demo' && e.outcome === 'retired');
    await unlink(join(tenantsDir, 'demo.yaml'));
    const event = await retired;

    expect(event.entry).toBeUndefined();
    expect(registry.get('demo')).toBeUndefined();
    expect(registry.list().map((entry) => entry.id)).toEqual(['acme']);
    expect(logLines).toContainEqual(
      expect.objectContaining({ msg: 'tenant file deleted: tenant retired', tenant: 'demo' }),
    );
  });

  it('loads a tenant file that appears', async () => {
    const loaded = nextReload((e) => e.tenant === 'initech' && e.outcome === 'loaded');
    const demo = await readFile(join(root, 'tenants/demo.yaml'), 'utf8');
    await writeFile(
      join(tenantsDir, 'initech.yaml'),
      demo.replace('tenant: demo', 'tenant: initech').replaceAll('DEMO__', 'INITECH__'),
    );
    await loaded;

    expect(registry.get('initech')).toMatchObject({ status: 'ready', lastError: null });
    expect(registry.list().map((entry) => entry.id)).toEqual(['acme', 'demo', 'initech']);
  });
});
