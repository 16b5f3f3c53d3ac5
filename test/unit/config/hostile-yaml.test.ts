import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DiagnosticCode } from '../../../src/config/diagnostic.js';
import { loadPack } from '../../../src/config/load-pack.js';
import { loadTenant, type TenantLoad } from '../../../src/config/load-tenant.js';
import { yamlLimits } from '../../../src/config/read-yaml.js';
import { envSecretSources } from '../../../src/config/resolve-secrets.js';
import { shippedAllowedHosts } from '../../support/load-shipped-tenant.js';

// Files a careless generator or a hostile editor could save into tenants/. Each must come back as
// diagnostics: no throw, no hang (vitest's per-test timeout is the hang guard). Big inputs are built
// here rather than committed.
const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const lifecycle = loadPack('rules/assessment-lifecycle.yaml', read('rules/assessment-lifecycle.yaml'));
const acme = read('tenants/acme.yaml');
const acmeEnv = Object.fromEntries(
  [
    'ACME__LEVER_API_KEY',
    'ACME__LEVER_STAGE_TOKEN',
    'ACME__LEVER_ARCHIVE_TOKEN',
    'ACME__LEVER_HIRED_TOKEN',
    'ACME__LEVER_DELETED_TOKEN',
    'ACME__VENDOR_KEY',
  ].map((name) => [name, `value-of-${name}`]),
);

function load(text: string, file = 'tenants/hostile.yaml'): TenantLoad {
  return loadTenant({
    file,
    text,
    findPack: (name) => (name === lifecycle.name ? lifecycle : undefined),
    secrets: envSecretSources(acmeEnv),
    allowedHosts: shippedAllowedHosts,
  });
}

/** The file is rejected, with an error of `code` (at `line`:`col` when given). */
function expectRejected(result: TenantLoad, code: DiagnosticCode, at?: { line: number; col: number }) {
  expect(result.status).toBe('invalid');
  expect(result.snapshot).toBeNull();
  const found = result.diagnostics.find((d) => d.code === code && d.severity === 'error');
  expect(found, `no ${code} among ${result.diagnostics.map((d) => d.code).join(', ')}`).toBeDefined();
  if (at) expect(found).toMatchObject(at);
  return found;
}

describe('hostile YAML', () => {
  it('rejects an alias bomb (billion laughs) before expanding it', () => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 9; i++) {
      lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]`);
    }
    const found = expectRejected(load(lines.join('\n')), 'too-large', { line: 1, col: 1 });
    expect(found?.hint).toContain('expand the aliases by hand');
  });

  it('rejects an alias inside its own anchor (a loop) at once, instead of walking it without end', () => {
    // Found by test/reliability/yaml-fuzz.test.ts: measuring the looped data's depth never ended.
    const found = expectRejected(load('&a \nb: *a\nc: [*a, *a, *a]'), 'yaml-syntax', { line: 2, col: 4 });
    expect(found?.message).toContain('refers to itself');
  });

  it('rejects 100,000 nested flow sequences', () => {
    const found = expectRejected(load('['.repeat(100_000)), 'too-large', { line: 1, col: 1 });
    expect(found?.message).toContain('nesting is 100000 levels deep');
  });

  it('rejects deep flow mappings under an ordinary key', () => {
    const text = `${acme}options: ${'{ a: '.repeat(10_000)}1${' }'.repeat(10_000)}\n`;
    const found = expectRejected(load(text, 'tenants/acme.yaml'), 'too-large');
    expect(found?.message).toContain(`the limit is ${yamlLimits.maxDepth}`);
  });

  it('rejects deep block nesting by indentation', () => {
    const lines = Array.from({ length: 300 }, (_, depth) => `${' '.repeat(depth)}k${depth}:`);
    const found = expectRejected(load(`${lines.join('\n')} leaf\n`), 'too-large');
    expect(found?.message).toContain(`deeper than ${yamlLimits.maxDepth} levels`);
  });

  it('rejects 100,000 compact nested block sequences (- - - …) without overflowing the stack', () => {
    const result = load(`${'- '.repeat(100_000)}x\n`);
    expect(result.status).toBe('invalid');
    expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    // Today the parser's own stack overflow comes back as a yaml-syntax error; too-large would be better.
    expect(['too-large', 'yaml-syntax']).toContain(result.diagnostics[0]?.code);
  });

  it('rejects a file over the size limit without parsing it', () => {
    const text = `${acme}# ${'padding '.repeat(Math.ceil(yamlLimits.maxBytes / 8))}\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(1_000_000);
    const found = expectRejected(load(text, 'tenants/acme.yaml'), 'too-large', { line: 1, col: 1 });
    expect(found?.message).toContain(`the limit is ${yamlLimits.maxBytes}`);
    expect(found?.hint).toContain('split the rules');
  });

  it('reports a huge single line: an unterminated quoted value just under the limit', () => {
    const text = `tenant: hostile\ndisplayName: "${'x'.repeat(yamlLimits.maxBytes - 100)}\n`;
    const found = expectRejected(load(text), 'yaml-syntax');
    expect(found?.message).toContain('Missing closing "quote');
  });

  it('reports a huge single line: a flow sequence of 30,000 wrong items, each at its column, the first 100', () => {
    const text = `tenant: hostile\ntriggers: [${Array.from({ length: 30_000 }, () => 'x').join(', ')}]\n`;
    const result = load(text);
    expectRejected(result, 'schema', { line: 2, col: 12 });
    const tenth = result.diagnostics.filter((d) => d.path === 'triggers[9]');
    expect(tenth).toEqual([expect.objectContaining({ code: 'schema', line: 2, col: 12 + 9 * 3 })]);
    expect(
      result.diagnostics.some((d) => /and more problems \(\d+ schema errors in all\)/.test(d.message)),
    ).toBe(true);
  });

  it('reports invalid UTF-8 bytes that land in the tenant id', () => {
    // As a reader decodes them: each bad byte becomes U+FFFD.
    const text = Buffer.from([...Buffer.from('tenant: host'), 0xff, 0xfe, ...Buffer.from('ile\n')]).toString(
      'utf8',
    );
    const found = expectRejected(load(text), 'yaml-syntax', { line: 1, col: 13 });
    expect(found?.message).toContain('not valid UTF-8');
  });

  it('reports more than one document in a file', () => {
    expectRejected(load('tenant: hostile\n---\ntenant: other\n'), 'yaml-syntax', { line: 2, col: 1 });
  });

  it.each([
    {
      what: 'only ---',
      text: '---\n',
      col: 4,
      message: 'the file must be a mapping (key: value lines, or { … }), not empty',
    },
    {
      what: 'an empty file',
      text: '',
      col: 1,
      message: 'the file must be a mapping (key: value lines, or { … }), not empty',
    },
    {
      what: 'only null',
      text: 'null\n',
      col: 1,
      message: 'the file must be a mapping (key: value lines, or { … }), not empty',
    },
    {
      what: 'a bare scalar',
      text: 'hostile\n',
      col: 1,
      message: 'the file must be a mapping (key: value lines, or { … }), not string "hostile"',
    },
    {
      what: 'a list at the top',
      text: '- tenant: hostile\n',
      col: 1,
      message: 'the file must be a mapping (key: value lines, or { … }), not a list',
    },
  ])('rejects a file of $what', ({ text, col, message }) => {
    const found = expectRejected(load(text), 'schema', { line: 1, col });
    expect(found?.message).toBe(message);
  });

  describe('inputs that used to hang or crash the loader', () => {
    it('flags invalid UTF-8 in free text', () => {
      // "Zürich" saved as Latin-1: 0xfc is not UTF-8.
      const [before, after] = acme.split('Acme Corp');
      const bytes = Buffer.concat([
        Buffer.from(`${before}Acme Z`),
        Buffer.from([0xfc]),
        Buffer.from(`rich${after}`),
      ]);
      expect(load(bytes.toString('utf8'), 'tenants/acme.yaml').status).toBe('invalid');
    });

    it('reports 250,000 schema errors without throwing, capped at a readable number', () => {
      const text = `tenant: hostile\ntriggers: [${Array.from({ length: 250_000 }, () => 'x').join(', ')}]\n`;
      const result = load(text);
      expect(result.status).toBe('invalid');
      expect(result.diagnostics.length).toBeLessThanOrEqual(205);
    });

    it('rejects 600 nested collection keys (? ? ? …) before converting them, which is exponential', () => {
      expectRejected(load(`${'? '.repeat(600)}x\n`), 'too-large');
    });

    it('loads a mapping of 60,000 keys (the duplicate-key check is linear)', () => {
      const text = `options: {${Array.from({ length: 60_000 }, (_, i) => `o${i}: ${i}`).join(', ')}}\n`;
      expect(load(`${acme}${text}`, 'tenants/acme.yaml').status).toBe('ready');
    });
  });
});
