import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkSchema } from '../../../src/config/check-schema.js';
import { type LoadedPack, loadPack } from '../../../src/config/load-pack.js';
import { loadTenant } from '../../../src/config/load-tenant.js';
import { readYaml } from '../../../src/config/read-yaml.js';
import { envSecretSources } from '../../../src/config/resolve-secrets.js';
import type { TenantSnapshot } from '../../../src/config/types.js';
import { shippedAllowedHosts } from '../../support/load-shipped-tenant.js';

const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const lifecycleText = read('rules/assessment-lifecycle.yaml');
const lifecycle = loadPack('rules/assessment-lifecycle.yaml', lifecycleText);
const acme = read('tenants/acme.yaml');

const acmeSecrets = {
  ACME__LEVER_API_KEY: 'lever-key-4f1c',
  ACME__LEVER_STAGE_TOKEN: 'stage-token-9a2e',
  ACME__LEVER_ARCHIVE_TOKEN: 'archive-token-77b0',
  ACME__LEVER_HIRED_TOKEN: 'hired-token-c3d5',
  ACME__LEVER_DELETED_TOKEN: 'deleted-token-0e8f',
  ACME__VENDOR_KEY: 'vendor-key-61aa',
};

function loadAcme(
  options: { text?: string; env?: Record<string, string | undefined>; packs?: LoadedPack[] } = {},
) {
  const packs = options.packs ?? [lifecycle];
  return loadTenant({
    file: 'tenants/acme.yaml',
    text: options.text ?? acme,
    findPack: (name) => packs.find((pack) => pack.name === name),
    secrets: envSecretSources(options.env ?? acmeSecrets),
    allowedHosts: shippedAllowedHosts,
  });
}

function snapshotOf(load: ReturnType<typeof loadAcme>): TenantSnapshot {
  if (!load.snapshot) throw new Error(`no snapshot: ${JSON.stringify(load.diagnostics)}`);
  return load.snapshot;
}

/** Paths of every object reachable from `value` that is not frozen. */
function unfrozenPaths(value: unknown, path: string, out: string[] = []): string[] {
  if (value === null || typeof value !== 'object') return out;
  if (!Object.isFrozen(value)) out.push(path);
  for (const [key, child] of Object.entries(value)) unfrozenPaths(child, `${path}.${key}`, out);
  return out;
}

describe('loadTenant: secrets', () => {
  it('makes the tenant not ready while a secret is missing, with a warning naming the variable', () => {
    const { ACME__VENDOR_KEY: _unset, ...env } = acmeSecrets;
    const load = loadAcme({ env });
    expect(load.status).toBe('not-ready');
    expect(snapshotOf(load).secrets).toBeNull();
    expect(load.diagnostics).toEqual([
      {
        file: 'tenants/acme.yaml',
        line: 16,
        col: 11,
        code: 'missing-secret',
        severity: 'warning',
        path: 'provider.apiKey',
        message: 'the environment variable ACME__VENDOR_KEY is not set',
        hint: "set ACME__VENDOR_KEY in stagegate's environment",
      },
    ]);
  });

  it('names every missing variable once, as warnings, not errors', () => {
    const load = loadAcme({ env: {} });
    expect(load.status).toBe('not-ready');
    expect(load.diagnostics.every((d) => d.code === 'missing-secret' && d.severity === 'warning')).toBe(true);
    expect(load.diagnostics.map((d) => d.message.split(' ')[3]).sort()).toEqual(
      Object.keys(acmeSecrets).sort(),
    );
  });

  it('treats a blank variable as missing', () => {
    const load = loadAcme({ env: { ...acmeSecrets, ACME__LEVER_API_KEY: '  ' } });
    expect(load.status).toBe('not-ready');
    expect(load.diagnostics.map((d) => d.message)).toEqual([
      'the environment variable ACME__LEVER_API_KEY is not set',
    ]);
  });

  it('makes the tenant ready once the variable is set', () => {
    const load = loadAcme();
    expect(load.status).toBe('ready');
    expect(load.diagnostics).toEqual([]);
    const secrets = snapshotOf(load).secrets;
    expect(secrets?.providerApiKey?.reveal()).toBe('vendor-key-61aa');
    expect(secrets?.leverApiKey?.reveal()).toBe('lever-key-4f1c');
    expect(secrets?.webhookTokens.candidateStageChange?.map((token) => token.reveal())).toEqual([
      'stage-token-9a2e',
    ]);
  });

  it("reads a file secret from the tenant's own secrets directory, trimmed", () => {
    const asked: string[] = [];
    const load = loadTenant({
      file: 'tenants/globex.yaml',
      text: read('tenants/globex.yaml'),
      findPack: (name) => (name === lifecycle.name ? lifecycle : undefined),
      allowedHosts: shippedAllowedHosts,
      secrets: {
        env: {
          GLOBEX__LEVER_API_KEY: 'g-1',
          GLOBEX__LEVER_STAGE_TOKEN: 'g-2',
          GLOBEX__LEVER_STAGE_TOKEN_OLD: 'g-3',
          GLOBEX__LEVER_HIRED_TOKEN: 'g-4',
        },
        secretsDir: '/run/stagegate-secrets',
        readFile: (tenant, name) => {
          asked.push(`${tenant}/${name}`);
          return { kind: 'read', text: 'globex-vendor-key-5b\n' };
        },
      },
    });
    expect(load.status).toBe('ready');
    expect(asked).toEqual(['globex/vendor-key']);
    expect(snapshotOf(load).secrets?.providerApiKey?.reveal()).toBe('globex-vendor-key-5b');
  });

  it('never shows a secret in JSON or util.inspect of the snapshot or the load', () => {
    const load = loadAcme();
    const snapshot = snapshotOf(load);
    const printed = [
      JSON.stringify(snapshot),
      JSON.stringify(load),
      inspect(snapshot, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      inspect(load, { depth: Number.POSITIVE_INFINITY }),
      String(snapshot.secrets?.leverApiKey),
    ];
    for (const text of printed) {
      for (const value of Object.values(acmeSecrets)) expect(text).not.toContain(value);
      expect(text).toContain('[secret]');
    }
  });
});

describe('loadTenant: the snapshot', () => {
  it('is deep-frozen, down to conditions, actions and secrets', () => {
    const snapshot = snapshotOf(loadAcme());
    expect(unfrozenPaths(snapshot, 'snapshot')).toEqual([]);
    // The walk above reached the nested parts, not only the top.
    const firstRule = snapshot.rules[0];
    expect(Object.isFrozen(firstRule?.conditions.all)).toBe(true);
    expect(Object.isFrozen(firstRule?.then[0])).toBe(true);
    expect(Object.isFrozen(snapshot.settings.tests['Backend - Python'])).toBe(true);
    expect(Object.isFrozen(snapshot.secrets?.webhookTokens.candidateStageChange)).toBe(true);
    expect(() => {
      (snapshot.settings as { tagPrefix: string }).tagPrefix = 'Changed';
    }).toThrow(TypeError);
  });

  it('keeps its version when nothing it is made of changes', () => {
    const first = snapshotOf(loadAcme()).version;
    expect(first).toMatch(/^[0-9a-f]{12}$/);
    expect(snapshotOf(loadAcme()).version).toBe(first);
    // Secrets are not part of the version: rotating one does not make a new configuration.
    expect(snapshotOf(loadAcme({ env: { ...acmeSecrets, ACME__VENDOR_KEY: 'rotated' } })).version).toBe(
      first,
    );
    // A pack the tenant does not use may change freely.
    const other = (text: string) => loadPack('rules/interview-kit.yaml', text);
    const before = snapshotOf(
      loadAcme({ packs: [lifecycle, other('pack: interview-kit\nrules: []\n')] }),
    ).version;
    const after = snapshotOf(
      loadAcme({ packs: [lifecycle, other('pack: interview-kit\ndescription: changed\nrules: []\n')] }),
    ).version;
    expect([before, after]).toEqual([first, first]);
  });

  it('changes its version when the tenant file changes, even only a comment', () => {
    const first = snapshotOf(loadAcme()).version;
    expect(snapshotOf(loadAcme({ text: `${acme}# reviewed\n` })).version).not.toBe(first);
    const renamed = acme.replace('displayName: Acme Corp', 'displayName: Acme Corporation');
    expect(snapshotOf(loadAcme({ text: renamed })).version).not.toBe(first);
  });

  it('changes its version when a pack it uses changes', () => {
    const first = snapshotOf(loadAcme()).version;
    const edited = loadPack(
      'rules/assessment-lifecycle.yaml',
      lifecycleText.replace('priority: 40', 'priority: 45'),
    );
    expect(edited.diagnostics).toEqual([]);
    expect(snapshotOf(loadAcme({ packs: [edited] })).version).not.toBe(first);
  });
});

describe('loadTenant: lever.auth oauth', () => {
  const lever = /lever:\n {2}apiKey:[^\n]*\n {2}webhookTokens:\n( {4}[^\n]*\n)+/;
  const oauthAcme = acme.replace(lever, 'lever:\n  auth: oauth\n');

  it('is ready with no API key and no signature token: both come from the connect flow', () => {
    expect(oauthAcme).not.toBe(acme);
    const load = loadAcme({ text: oauthAcme, env: { ACME__VENDOR_KEY: 'vendor-key-61aa' } });
    expect(load.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(load.status).toBe('ready');
    const snapshot = snapshotOf(load);
    expect(snapshot.settings.lever.auth).toBe('oauth');
    expect(snapshot.secrets?.leverApiKey).toBeNull();
    expect(snapshot.secrets?.webhookTokens).toEqual({});
  });

  it('refuses an apiKey beside auth: oauth (one way in, not two)', () => {
    const text = oauthAcme.replace(
      '  auth: oauth\n',
      '  auth: oauth\n  apiKey: { env: ACME__LEVER_API_KEY }\n',
    );
    const load = loadAcme({ text });
    expect(load.status).toBe('invalid');
    expect(load.diagnostics.some((d) => d.severity === 'error' && d.path?.startsWith('lever'))).toBe(true);
  });

  it('still requires apiKey and webhookTokens without auth: oauth', () => {
    const load = loadAcme({ text: acme.replace(lever, 'lever:\n  auth: apiKey\n') });
    expect(load.status).toBe('invalid');
    expect(load.diagnostics.map((d) => d.message).join('\n')).toMatch(/apiKey|webhookTokens/);
  });
});

describe('messages that say how to fix what they report', () => {
  const load = (file: string, text: string) =>
    loadTenant({
      file,
      text,
      findPack: (name) => (name === lifecycle.name ? lifecycle : undefined),
      secrets: envSecretSources({}),
      allowedHosts: 'unchecked',
    });

  it('never proposes a tenant id that is not valid', () => {
    const fromFile = load('tenants/Zeta.yaml', acme.replace('tenant: acme', 'tenant: zeta'));
    const mismatch = fromFile.diagnostics.find((d) => d.code === 'tenant-mismatch');
    expect(mismatch?.hint).toBe(
      'rename the file to zeta.yaml (a tenant id is lower-case letters and digits joined by single dashes)',
    );
    const written = load('tenants/zeta.yaml', acme.replace('tenant: acme', 'tenant: Zeta'));
    const invalid = written.diagnostics.find((d) => d.code === 'schema' && d.path === 'tenant');
    expect(invalid?.message).toMatch(/^"Zeta" is not a tenant id: lower-case letters and digits/);
    expect(invalid?.hint).toBe('write tenant: zeta, and name the file zeta.yaml');
    expect(written.diagnostics.find((d) => d.code === 'tenant-mismatch')?.hint).toBe('write tenant: zeta');
    for (const d of [...fromFile.diagnostics, ...written.diagnostics])
      expect(d.hint ?? '').not.toContain('Zeta');
  });

  it('accepts a threshold above 100 once the tenant declares its score scale', () => {
    const text = acme.replace(
      'scoring: { pass: 70, fail: 40 }',
      'scoring: { pass: 150, fail: 80, maxScore: 200 }',
    );
    expect(load('tenants/acme.yaml', text).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const over = acme.replace(
      'scoring: { pass: 70, fail: 40 }',
      'scoring: { pass: 9, fail: 4, maxScore: 5 }',
    );
    const found = load('tenants/acme.yaml', over).diagnostics.find((d) => d.code === 'thresholds');
    expect(found?.message).toBe('the pass threshold 9 is above the highest score: scoring.maxScore is 5');
  });

  it('says "a number, or null" rather than number,null', () => {
    const yaml = readYaml('event.yaml', 'type: assessmentCompleted\nscore: high\n');
    const [problem] = checkSchema('event', yaml);
    expect(problem?.message).toBe('\'score\' must be a number, or null (or leave it out), not string "high"');
    expect(problem?.hint).toBe('write it like: score: 82');
  });
});
