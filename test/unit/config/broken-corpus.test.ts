import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic, DiagnosticCode } from '../../../src/config/diagnostic.js';
import { loadPack } from '../../../src/config/load-pack.js';
import { loadTenant } from '../../../src/config/load-tenant.js';
import { envSecretSources, tenantEnvPrefix } from '../../../src/config/resolve-secrets.js';

// One broken file per kind of mistake an account manager makes, each with the exact place the
// loader must point at. Paths are given relative to the repository, as `stagegate validate` prints them.
const root = resolve(import.meta.dirname, '../../..');
const corpus = 'test/fixtures/config/broken';
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const lifecycle = loadPack('rules/assessment-lifecycle.yaml', read('rules/assessment-lifecycle.yaml'));
const findPack = (name: string) => (name === lifecycle.name ? lifecycle : undefined);
// Every secret the fixtures name is set, so that only the mistake under test is reported.
const tenantIds = readdirSync(join(root, corpus))
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => name.replace(/\.yaml$/, ''));
const secrets = envSecretSources(
  Object.fromEntries(
    tenantIds.flatMap((id) => [
      [`${tenantEnvPrefix(id)}LEVER_API_KEY`, 'lever-key-1'],
      [`${tenantEnvPrefix(id)}LEVER_STAGE_TOKEN`, 'stage-token-1'],
    ]),
  ),
);

interface Expected {
  code: DiagnosticCode;
  line: number;
  col: number;
  message?: string;
  hint?: string;
}

interface Case {
  title: string;
  /** Relative to the corpus directory; files under packs/ are rule packs. */
  file: string;
  expected: Expected[];
  /** The YAML parser's own errors for the same mistake, tolerated on that line. */
  alsoYamlSyntaxOnLine?: number;
}

const cases: Case[] = [
  {
    title: 'malformed YAML (a flow sequence never closed)',
    file: 'yaml-syntax.yaml',
    expected: [{ code: 'yaml-syntax', line: 13, col: 1, message: 'end with a ]' }],
  },
  {
    title: 'a duplicate key, with where the first one is',
    file: 'duplicate-key.yaml',
    expected: [
      {
        code: 'duplicate-key',
        line: 16,
        col: 1,
        message: "the key 'displayName' appears twice in this mapping; the first is at line 4:1",
        hint: 'keep one of them',
      },
    ],
  },
  {
    title: 'a list item indented short, in plain words',
    file: 'sequence-item.yaml',
    expected: [
      {
        code: 'yaml-syntax',
        line: 14,
        col: 1,
        message:
          'this line is read as a new list item, but it has no "- " and is not lined up with the item above',
        hint: 'line each key of a list item up under the first key after its "- "',
      },
    ],
  },
  {
    title: 'a colon and a space inside a value, in plain words',
    file: 'compact-mapping.yaml',
    expected: [
      {
        code: 'yaml-syntax',
        line: 12,
        col: 14,
        message: 'a value on this line holds ": " (a colon and a space)',
        hint: 'quote a value that contains ": " (displayName: "Acme: Europe")',
      },
    ],
  },
  {
    title: 'a threshold above 100 with no other score scale',
    file: 'threshold-scale.yaml',
    expected: [
      {
        code: 'thresholds',
        line: 14,
        col: 18,
        message: 'the pass threshold 150 is above the highest score: scores are out of 100',
        hint: 'scoring: { maxScore: 200, pass: 150 }',
      },
    ],
  },
  {
    title: 'a percentage as text and a duration in words, each with an example of the form',
    file: 'threshold-as-text.yaml',
    expected: [
      {
        code: 'schema',
        line: 14,
        col: 18,
        message: '\'pass\' must be a number, not string "75%"',
        hint: 'write a plain number, without quotes or %: pass: 75',
      },
      {
        code: 'schema',
        line: 15,
        col: 33,
        message: '"30 days" is not in the form \'after\' takes',
        hint: 'write it like: after: 30d or after: 12h',
      },
    ],
  },
  {
    title: 'a pack name one letter off, with a did-you-mean',
    file: 'misspelt-pack.yaml',
    expected: [
      {
        code: 'unknown-pack',
        line: 14,
        col: 9,
        message: "there is no rule pack 'assessment-lifecyle'",
        hint: "did you mean 'assessment-lifecycle'?",
      },
    ],
  },
  {
    title: 'tab indentation',
    file: 'tab-indent.yaml',
    expected: [{ code: 'tab-indent', line: 14, col: 1, message: 'tab', hint: 'spaces only' }],
    alsoYamlSyntaxOnLine: 14,
  },
  {
    title: 'YAML 1.1 values: no, on, an unquoted date',
    file: 'yaml11-values.yaml',
    expected: [
      { code: 'yaml11-value', line: 16, col: 19, message: "'no' is text here", hint: 'quote it ("no")' },
      { code: 'yaml11-value', line: 17, col: 14, message: 'read it as true', hint: 'write true/false' },
      {
        code: 'yaml11-value',
        line: 18,
        col: 14,
        message: 'looks like a date',
        hint: 'quote it: "2024-01-15"',
      },
    ],
  },
  {
    title: "a tenant id that does not match the file's name",
    file: 'tenant-mismatch.yaml',
    expected: [
      {
        code: 'tenant-mismatch',
        line: 3,
        col: 9,
        message: "'acme' does not match the file name tenant-mismatch.yaml",
        hint: 'write tenant: tenant-mismatch',
      },
    ],
  },
  {
    title: 'an unknown key, with a did-you-mean',
    file: 'unknown-key.yaml',
    expected: [
      {
        code: 'unknown-key',
        line: 14,
        col: 5,
        message: "unknown key 'defaultTset'",
        hint: "did you mean 'defaultTest'?",
      },
    ],
  },
  {
    title: 'an unknown test, with the known ones listed',
    file: 'unknown-test.yaml',
    expected: [
      {
        code: 'unknown-test',
        line: 14,
        col: 18,
        message: "'Backend - Rust' is not in the tests catalog",
        hint: 'known tests: Backend - Python, Frontend - React',
      },
    ],
  },
  {
    title: 'a fail threshold not below the pass threshold',
    file: 'thresholds.yaml',
    expected: [{ code: 'thresholds', line: 15, col: 28, message: 'the fail threshold (70) must be below' }],
  },
  {
    title: 'the same trigger stage twice',
    file: 'duplicate-trigger.yaml',
    expected: [
      {
        code: 'duplicate-trigger',
        line: 15,
        col: 12,
        message: "'technical screen' is already a trigger (triggers[0])",
      },
    ],
  },
  {
    title: 'an unknown precedence entry',
    file: 'unknown-precedence.yaml',
    expected: [
      {
        code: 'schema',
        line: 16,
        col: 16,
        message: '"candidateTags" is not allowed here; use one of: candidateTag, posting, stageDefault',
        hint: "did you mean 'candidateTag'?",
      },
    ],
  },
  {
    title: 'two rules with the same name',
    file: 'duplicate-rule.yaml',
    expected: [
      {
        code: 'duplicate-rule',
        line: 20,
        col: 11,
        message: `'tag-fast-finishers' already exists (${corpus}/duplicate-rule.yaml:16)`,
        hint: 'rename one of them',
      },
    ],
  },
  {
    title: 'an unknown fact in a rule, with a did-you-mean',
    file: 'unknown-fact.yaml',
    expected: [
      {
        code: 'unknown-fact',
        line: 20,
        col: 19,
        message: "the fact 'stage' has no field 'nmae'",
        hint: "did you mean 'stage.name'?",
      },
    ],
  },
  {
    title: 'an unknown operator',
    file: 'packs/unknown-operator.yaml',
    expected: [
      {
        code: 'schema',
        line: 8,
        col: 41,
        message: '"equals" is not allowed here; use one of: equal, notEqual',
        hint: "did you mean 'equal'?",
      },
    ],
  },
  {
    title: 'a condition with both all and fact',
    file: 'packs/condition-all-and-fact.yaml',
    expected: [
      {
        code: 'bad-condition',
        line: 7,
        col: 7,
        message: 'a condition takes one of all / fact, not several',
        hint: 'under `all:`',
      },
    ],
  },
  {
    title: "a pack name that does not match the file's name",
    file: 'packs/pack-mismatch.yaml',
    expected: [
      {
        code: 'pack-mismatch',
        line: 3,
        col: 7,
        message: "the pack is named 'interview-kit' but the file is pack-mismatch.yaml",
        hint: 'write pack: pack-mismatch',
      },
    ],
  },
  {
    title: 'an action field the action type lacks',
    file: 'action-field.yaml',
    expected: [
      {
        code: 'bad-action',
        line: 19,
        col: 55,
        message: "lever.addNote has no field 'stage'",
        hint: 'its fields: text',
      },
    ],
  },
  {
    title: 'an unknown pack',
    file: 'unknown-pack.yaml',
    expected: [{ code: 'unknown-pack', line: 15, col: 31, message: "there is no rule pack 'interview-kit'" }],
  },
  {
    title: 'a tenant rule named like a pack rule, without replaces: true',
    file: 'pack-collision.yaml',
    expected: [
      {
        code: 'duplicate-rule',
        line: 16,
        col: 11,
        message: "'send-selected-test' already exists (rules/assessment-lifecycle.yaml:9)",
        hint: 'add `replaces: true`',
      },
    ],
  },
  {
    title: 'disableRules naming an unknown rule',
    file: 'unknown-disabled-rule.yaml',
    expected: [
      {
        code: 'unknown-rule',
        line: 15,
        col: 16,
        message: "there is no rule 'cancel-when-hird'",
        hint: "did you mean 'cancel-when-hired'?",
      },
    ],
  },
  {
    title: 'resend policy after without `after`',
    file: 'resend-after.yaml',
    expected: [
      {
        code: 'missing-key',
        line: 15,
        col: 9,
        message: "the policy 'after' needs `after:`",
        hint: 'after: 30d',
      },
    ],
  },
  {
    title: 'several problems in one file, all reported in one run',
    file: 'several-problems.yaml',
    expected: [
      { code: 'unknown-key', line: 4, col: 1, hint: "did you mean 'displayName'?" },
      { code: 'unknown-test', line: 15, col: 18, message: "'Backend - Rust'" },
      { code: 'thresholds', line: 16, col: 28, message: 'the fail threshold (50)' },
      { code: 'unknown-rule', line: 17, col: 16, hint: "did you mean 'cancel-when-hired'?" },
      { code: 'unknown-fact', line: 20, col: 19, hint: "did you mean 'stage.name'?" },
    ],
  },
];

function load(file: string): { diagnostics: readonly Diagnostic[]; invalid: boolean } {
  const path = `${corpus}/${file}`;
  if (file.startsWith('packs/')) {
    const pack = loadPack(path, read(path));
    return { diagnostics: pack.diagnostics, invalid: pack.diagnostics.some((d) => d.severity === 'error') };
  }
  const tenant = loadTenant({ file: path, text: read(path), findPack, packNames: [lifecycle.name], secrets });
  return {
    diagnostics: tenant.diagnostics,
    invalid: tenant.status === 'invalid' && tenant.snapshot === null,
  };
}

const byPosition = (a: { line: number; col: number }, b: { line: number; col: number }) =>
  a.line - b.line || a.col - b.col;

describe('the broken-file corpus', () => {
  it.each(cases)('reports $title ($file)', ({ file, expected, alsoYamlSyntaxOnLine }) => {
    const { diagnostics, invalid } = load(file);
    expect(invalid).toBe(true);
    expect(diagnostics.every((d) => d.file === `${corpus}/${file}`)).toBe(true);

    const tolerated = (d: Diagnostic) => d.code === 'yaml-syntax' && d.line === alsoYamlSyntaxOnLine;
    const reported = diagnostics
      .filter((d) => !tolerated(d))
      .map(({ code, line, col, severity }) => ({ code, line, col, severity }))
      .sort(byPosition);
    const wanted = expected
      .map(({ code, line, col }) => ({ code, line, col, severity: 'error' }))
      .sort(byPosition);
    expect(reported).toEqual(wanted);

    for (const want of expected) {
      const found = diagnostics.find(
        (d) => d.code === want.code && d.line === want.line && d.col === want.col,
      );
      if (want.message !== undefined) expect(found?.message).toContain(want.message);
      if (want.hint !== undefined) expect(found?.hint).toContain(want.hint);
    }
  });

  it('uses every file in the corpus, and the corpus has no file without a case', () => {
    const files = readdirSync(join(root, corpus), { recursive: true, encoding: 'utf8' })
      .filter((name) => statSync(join(root, corpus, name)).isFile())
      .map((name) => name.split(sep).join('/'))
      .sort();
    expect(files).toEqual(cases.map((c) => c.file).sort());
  });

  it.each(cases)('$file names its schema on its first line, for editors', ({ file }) => {
    const firstLine = read(`${corpus}/${file}`).split('\n')[0] ?? '';
    const schema = /^# yaml-language-server: \$schema=(\S+)$/.exec(firstLine)?.[1] ?? '';
    const kind = file.startsWith('packs/') ? 'rule-pack' : 'tenant';
    expect(resolve(root, dirname(`${corpus}/${file}`), schema)).toBe(
      join(root, `schemas/${kind}.schema.json`),
    );
  });
});
