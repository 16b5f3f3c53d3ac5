import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPack } from '../../../src/config/load-pack.js';
import { loadTenant } from '../../../src/config/load-tenant.js';
import { envSecretSources } from '../../../src/config/resolve-secrets.js';
import { shippedAllowedHosts } from '../../support/load-shipped-tenant.js';

// What ships in the package (tenants/, rules/) must load, and must tell an editor which schema it
// follows, so that account managers get completion and errors as they type.
const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const yamlIn = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => `${dir}/${name}`);

const packFiles = yamlIn('rules');
const tenantFiles = yamlIn('tenants').filter((path) => !/\.test\.ya?ml$/.test(path));
const packs = new Map(
  packFiles.map((path) => [basename(path).replace(/\.ya?ml$/, ''), loadPack(path, read(path))]),
);

describe('shipped configuration', () => {
  it('has tenants and packs to check', () => {
    expect(tenantFiles.length).toBeGreaterThan(0);
    expect(packFiles).toContain('rules/assessment-lifecycle.yaml');
  });

  it.each(packFiles)('%s loads with no diagnostics', (path) => {
    expect(packs.get(basename(path).replace(/\.ya?ml$/, ''))?.diagnostics).toEqual([]);
  });

  it.each(tenantFiles)('%s loads with no error (missing secrets are only warnings)', (path) => {
    const load = loadTenant({
      file: path,
      text: read(path),
      findPack: (name) => packs.get(name),
      secrets: envSecretSources({}),
      allowedHosts: shippedAllowedHosts,
    });
    expect(load.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(load.status).toBe('not-ready');
    expect(load.snapshot?.rules.length).toBeGreaterThan(0);
  });

  const schemaFor = (path: string) =>
    path.startsWith('rules/')
      ? 'rule-pack.schema.json'
      : /\.test\.ya?ml$/.test(path)
        ? 'fixture.schema.json'
        : 'tenant.schema.json';

  it.each([...yamlIn('tenants'), ...packFiles])(
    '%s starts with a yaml-language-server modeline naming its schema',
    (path) => {
      const firstLine = read(path).split('\n')[0] ?? '';
      const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(firstLine);
      expect(match, `first line: ${firstLine}`).not.toBeNull();
      const schema = resolve(root, dirname(path), match?.[1] ?? '');
      expect(existsSync(schema), `${schema} does not exist`).toBe(true);
      expect(schema).toBe(join(root, 'schemas', schemaFor(path)));
    },
  );
});
