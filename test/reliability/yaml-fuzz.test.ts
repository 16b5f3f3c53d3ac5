import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/config/diagnostic.js';
import { loadPack } from '../../src/config/load-pack.js';
import { loadTenant } from '../../src/config/load-tenant.js';
import { envSecretSources } from '../../src/config/resolve-secrets.js';

/**
 * Random files through the loaders the service and the CLI use: realistic tenant and pack files
 * mutated byte by byte, and files built from YAML's own syntax. Each must come back as a snapshot
 * or as diagnostics that point inside the file; never a throw, and never a hang: each file gets a
 * bound of its own (the loader's limits keep the slowest far below it).
 */
const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const packText = read('rules/assessment-lifecycle.yaml');
const pack = loadPack('rules/assessment-lifecycle.yaml', packText);
const seeds = ['tenants/acme.yaml', 'tenants/globex.yaml', 'tenants/demo.yaml'].map(read);
const boundPerFileMs = 2_000;
let filesFuzzed = 0;
let slowestMs = 0;

/** Loads one file, timing it; fails on a throw, an out-of-file position or a file over the bound. */
function check(text: string, load: (text: string) => { diagnostics: readonly Diagnostic[] }) {
  const started = performance.now();
  const { diagnostics } = load(text);
  const elapsed = performance.now() - started;
  filesFuzzed += 1;
  slowestMs = Math.max(slowestMs, elapsed);
  expect(elapsed, 'loading one file took too long').toBeLessThan(boundPerFileMs);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const d of diagnostics) {
    expect(d.line, d.message).toBeGreaterThanOrEqual(1);
    expect(d.line, d.message).toBeLessThanOrEqual(lines + 1);
    expect(d.col, d.message).toBeGreaterThanOrEqual(1);
    expect(d.message, JSON.stringify(d)).toMatch(/\S/);
  }
}

const loadAsTenant = (text: string) =>
  loadTenant({
    file: 'tenants/acme.yaml',
    text,
    findPack: (name) => (name === pack.name ? pack : undefined),
    secrets: envSecretSources({}),
  });
const loadAsPack = (text: string) => loadPack('rules/assessment-lifecycle.yaml', text);

/** Edits of a real file: characters inserted, deleted or replaced, lines duplicated or swapped. */
const yamlish = fc.constantFrom(
  ':',
  '-',
  ' ',
  '  ',
  '\t',
  '\n',
  '#',
  '&a',
  '*a',
  '<<: *a',
  '{',
  '}',
  '[',
  ']',
  ',',
  '"',
  "'",
  '|',
  '>',
  '!!str ',
  '!tag ',
  '?',
  '%YAML 1.2\n',
  '---\n',
  '...\n',
  '\u0000',
  '\ufeff',
  '\u2028',
  '😀',
  'é',
  '{{candidate.email}}',
  '9'.repeat(400),
  'null',
  'true',
  '~',
  '0x1F',
  '.inf',
  'x'.repeat(5000),
);
const edit = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(yamlish, fc.string()) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('duplicateLine' as const),
    at: fc.nat(),
    times: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({ kind: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
);
type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;

function apply(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of edits) {
    const lines = out.split('\n');
    switch (e.kind) {
      case 'insert': {
        const at = e.at % (out.length + 1);
        out = out.slice(0, at) + e.text + out.slice(at);
        break;
      }
      case 'delete': {
        const at = e.at % (out.length + 1);
        out = out.slice(0, at) + out.slice(at + e.length);
        break;
      }
      case 'duplicateLine': {
        const at = e.at % lines.length;
        lines.splice(at, 0, ...Array.from({ length: e.times }, () => lines[at] ?? ''));
        out = lines.join('\n');
        break;
      }
      case 'swapLines': {
        const a = e.a % lines.length;
        const b = e.b % lines.length;
        [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
        out = lines.join('\n');
        break;
      }
    }
  }
  return out;
}

/** Documents made of YAML's own syntax, nested, with anchors and aliases. */
const { node } = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(yamlish, fc.string(), fc.integer().map(String), fc.double().map(String)),
    fc.array(tie('node'), { maxLength: 5 }).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.tuple(fc.oneof(yamlish, fc.string({ maxLength: 12 })), tie('node')), { maxLength: 5 })
      .map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
    fc
      .array(fc.tuple(fc.string({ maxLength: 12 }), tie('node'), fc.integer({ min: 0, max: 6 })), {
        maxLength: 6,
      })
      .map((entries) => entries.map(([k, v, indent]) => `${' '.repeat(indent)}${k}: ${v}`).join('\n')),
    tie('node').map((inner) => `&a ${inner}\nb: *a\nc: [*a, *a, *a]`),
  ),
}));

describe('YAML loader fuzzing', () => {
  it('answers mutated tenant files with a snapshot or diagnostics inside the file', () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 6 }), (seed, edits) =>
        check(apply(seed, edits), loadAsTenant),
      ),
      { numRuns: 300 },
    );
  });

  it('answers mutated rule packs the same way', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) =>
        check(apply(packText, edits), loadAsPack),
      ),
      { numRuns: 150 },
    );
  });

  it('answers documents built from YAML syntax, as a tenant and as a pack', () => {
    fc.assert(
      fc.property(node, (text) => {
        check(text, loadAsTenant);
        check(text, loadAsPack);
      }),
      { numRuns: 300 },
    );
    console.info(`yaml fuzz: ${filesFuzzed} files loaded, slowest ${slowestMs.toFixed(1)} ms`);
  });
});
