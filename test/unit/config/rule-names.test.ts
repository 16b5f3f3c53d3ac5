import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPack } from '../../../src/config/load-pack.js';
import { loadTenant } from '../../../src/config/load-tenant.js';
import { envSecretSources } from '../../../src/config/resolve-secrets.js';
import { repoRoot, shippedAllowedHosts } from '../../support/load-shipped-tenant.js';

const pack = loadPack(
  'rules/assessment-lifecycle.yaml',
  readFileSync(resolve(repoRoot, 'rules/assessment-lifecycle.yaml'), 'utf8'),
);
const acme = readFileSync(resolve(repoRoot, 'tenants/acme.yaml'), 'utf8').replace(/^rules: \[\]\n/m, '');
const load = (text: string) =>
  loadTenant({
    file: 'tenants/acme.yaml',
    text,
    findPack: (name) => (name === pack.name ? pack : undefined),
    secrets: envSecretSources({}),
    allowedHosts: shippedAllowedHosts,
  });

const rule = (name: string, extra = '') => `  - name: ${name}
${extra}    when: { all: [{ fact: event.type, operator: equal, value: ping }] }
`;

describe('rule names', () => {
  it('reports two tenant rules of one name even when the second says replaces: true', () => {
    const result = load(`${acme}rules:\n${rule('mine')}${rule('mine', '    replaces: true\n')}`);
    expect(result.status).toBe('invalid');
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'duplicate-rule', path: 'rules[1].name' }),
    );
  });

  it('lets a tenant rule replace a pack rule with replaces: true, and refuses it without', () => {
    expect(load(`${acme}rules:\n${rule('no-email', '    replaces: true\n')}`).status).toBe('not-ready');
    const clash = load(`${acme}rules:\n${rule('no-email')}`);
    expect(clash.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'duplicate-rule', hint: expect.stringContaining('replaces: true') }),
    );
  });

  it('reports a rule defined twice inside one pack', () => {
    const twice = loadPack('rules/twice.yaml', `pack: twice\nrules:\n${rule('a')}${rule('a')}`);
    expect(twice.diagnostics).toEqual([
      expect.objectContaining({ code: 'duplicate-rule', line: 5, path: 'rules[1].name' }),
    ]);
  });

  it('keeps following a pack the tenant names but that does not exist yet, so adding it heals the tenant', () => {
    const result = load(
      acme.replace('packs: [assessment-lifecycle]', 'packs: [assessment-lifecycle, extra]'),
    );
    expect(result.status).toBe('invalid');
    expect(result.packs).toEqual(['assessment-lifecycle', 'extra']);
  });
});
