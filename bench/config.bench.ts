import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { envSecretSources, tenantEnvPrefix } from '../src/config/resolve-secrets.js';
import {
  type ConfigFiles,
  createTenantRegistry,
  type TenantRegistry,
} from '../src/config/tenant-registry.js';
import { watchConfig } from '../src/config/watch-config.js';
import { systemClock } from '../src/kernel/clock.js';
import type { BenchResult } from './bench-result.js';

const root = resolve(import.meta.dirname, '..');
const tenantCount = 1_000;
const coldRuns = 5;
const edits = 50;

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

/**
 * The configuration's two costs that people wait on: starting with 1,000 tenants (the real fs, the
 * real loader), and the time from saving a tenant file to its new version serving (the real watcher).
 */
export async function benchConfig(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-bench-config-'));
  try {
    const dirs = await writeTenants(dir);
    const coldMs: number[] = [];
    for (let run = 0; run < coldRuns; run++) {
      (globalThis as { gc?: () => void }).gc?.();
      const registry = createRegistry(dirs);
      const started = performance.now();
      await registry.loadAll();
      coldMs.push(performance.now() - started);
      const ready = registry.list().filter((entry) => entry.status === 'ready').length;
      if (ready !== tenantCount) throw new Error(`only ${ready} of ${tenantCount} tenants loaded`);
    }
    const reloadMs = await measureReloads(dirs);
    return [
      {
        name: `config: cold load of ${tenantCount} tenant files (median of ${coldRuns})`,
        value: round(percentile(coldMs, 50)),
        unit: 'ms',
        target: '<= 3000 ms',
      },
      {
        name: `config: saved edit -> new version serving, p50 of ${edits}`,
        value: round(percentile(reloadMs, 50)),
        unit: 'ms',
      },
      {
        name: `config: saved edit -> new version serving, p95 of ${edits}`,
        value: round(percentile(reloadMs, 95)),
        unit: 'ms',
        target: '<= 300 ms',
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Dirs {
  tenantsDir: string;
  rulesDir: string;
}

const tenantId = (n: number) => `tenant-${String(n).padStart(4, '0')}`;

// Each copy of acme reads its own variables (TENANT_0001__LEVER_API_KEY, …), as the loader requires.
const secretNames = [
  'LEVER_API_KEY',
  'LEVER_STAGE_TOKEN',
  'LEVER_ARCHIVE_TOKEN',
  'LEVER_HIRED_TOKEN',
  'LEVER_DELETED_TOKEN',
  'VENDOR_KEY',
];
const env = Object.fromEntries(
  Array.from({ length: tenantCount }, (_, n) => tenantEnvPrefix(tenantId(n))).flatMap((prefix) =>
    secretNames.map((name) => [`${prefix}${name}`, `bench-${prefix}${name}`]),
  ),
);
// The operator allows acme's vendor.
const allowedHosts = ['assessments.hired.example'];
/** acme.yaml as tenant `id`, reading `id`'s own secrets. */
const asTenant = (acme: string, id: string) =>
  acme.replace('\ntenant: acme\n', `\ntenant: ${id}\n`).replaceAll('ACME__', tenantEnvPrefix(id));

/** tenants/acme.yaml 1,000 times under other ids, and the pack they use. */
async function writeTenants(dir: string): Promise<Dirs> {
  const dirs = { tenantsDir: join(dir, 'tenants'), rulesDir: join(dir, 'rules') };
  await mkdir(dirs.tenantsDir);
  await mkdir(dirs.rulesDir);
  await copyFile(
    join(root, 'rules/assessment-lifecycle.yaml'),
    join(dirs.rulesDir, 'assessment-lifecycle.yaml'),
  );
  const acme = await readFile(join(root, 'tenants/acme.yaml'), 'utf8');
  if (!acme.includes('\ntenant: acme\n')) throw new Error('tenants/acme.yaml no longer has `tenant: acme`');
  await Promise.all(
    Array.from({ length: tenantCount }, (_, n) =>
      writeFile(join(dirs.tenantsDir, `${tenantId(n)}.yaml`), asTenant(acme, tenantId(n))),
    ),
  );
  return dirs;
}

function createRegistry(dirs: Dirs): TenantRegistry {
  // Logging stays on, as in production; its lines go nowhere.
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  return createTenantRegistry({
    ...dirs,
    files,
    secrets: envSecretSources(env),
    allowedHosts,
    clock: systemClock,
    log: pino({ level: 'info' }, sink),
  });
}

/** Milliseconds from writing a tenant file to the registry serving the version written. */
async function measureReloads(dirs: Dirs): Promise<number[]> {
  const registry = createRegistry(dirs);
  await registry.loadAll();
  let waiting: { id: string; resolve: () => void } | null = null;
  registry.onReload((event) => {
    if (waiting?.id === event.tenant && event.outcome === 'loaded') waiting.resolve();
  });
  const log = pino({ level: 'silent' });
  const watcher = watchConfig({ dirs: [dirs.tenantsDir, dirs.rulesDir], registry, log });
  await watcher.ready;
  const acme = await readFile(join(root, 'tenants/acme.yaml'), 'utf8');
  const times: number[] = [];
  try {
    for (let edit = 0; edit < edits; edit++) {
      const id = tenantId((edit * 37) % tenantCount);
      const text = asTenant(acme, id).replace(
        'displayName: Acme Corp',
        `displayName: Acme Corp, edit ${edit}`,
      );
      const served = new Promise<void>((resolve) => {
        waiting = { id, resolve };
      });
      const started = performance.now();
      await writeFile(join(dirs.tenantsDir, `${id}.yaml`), text);
      await served;
      times.push(performance.now() - started);
      const shown = registry.get(id)?.snapshot?.settings.displayName;
      if (shown !== `Acme Corp, edit ${edit}`) throw new Error(`${id} serves '${shown}' after edit ${edit}`);
    }
  } finally {
    await watcher.close();
  }
  return times;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await benchConfig();
  const rows = results.map((r) => `| ${r.name} | ${r.value} ${r.unit} | ${r.target ?? ''} |`);
  process.stdout.write(['| benchmark | value | target |', '| --- | --- | --- |', ...rows, ''].join('\n'));
}
