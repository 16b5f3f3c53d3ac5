import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LoadedPack, loadPack } from '../../../src/config/load-pack.js';
import { loadTenant } from '../../../src/config/load-tenant.js';
import { envSecretSources } from '../../../src/config/resolve-secrets.js';
import { repoRoot } from '../../support/load-shipped-tenant.js';

const lifecycle = loadPack(
  'rules/assessment-lifecycle.yaml',
  readFileSync(resolve(repoRoot, 'rules/assessment-lifecycle.yaml'), 'utf8'),
);

// Lines 1-8; what a test appends starts at line 9.
const base = `tenant: acme
lever:
  apiKey: { env: ACME__K }
  webhookTokens:
    candidateStageChange: [{ env: ACME__T }]
provider: { kind: sandbox }
tests: { "Backend - Python": { providerTestId: t-101 } }
triggers: [{ stage: Technical Screen, defaultTest: "Backend - Python" }]
`;

function errors(text: string, packs: LoadedPack[] = [lifecycle]) {
  const load = loadTenant({
    file: 'tenants/acme.yaml',
    text,
    findPack: (name) => packs.find((pack) => pack.name === name),
    secrets: envSecretSources({ ACME__K: 'k', ACME__T: 't' }),
  });
  return load.diagnostics.filter((d) => d.severity === 'error');
}

const ownRule = (condition: string, then = '[]') => `rules:
  - name: mine
    when: { all: [${condition}] }
    then: ${then}
`;

describe('rule checks: `path` into a fact', () => {
  it('reports a field the fact does not have, at the path, with a did-you-mean hint', () => {
    expect(errors(base + ownRule('{ fact: stage, path: $.nmae, operator: equal, value: x }'))).toEqual([
      {
        file: 'tenants/acme.yaml',
        line: 11,
        col: 40,
        code: 'unknown-fact',
        message: "the fact 'stage' has no field 'nmae'",
        path: 'rules[0].when.all[0].path',
        severity: 'error',
        hint: "did you mean '$.name'?",
      },
    ]);
  });

  it('checks bracket paths and a `value: { fact, path }` too, and lists the fields when nothing is close', () => {
    const found = errors(
      base +
        ownRule(
          `{ fact: candidate, path: "$['zzzzzzzz']", operator: equal, value: x }, { fact: assessment.score, operator: equal, value: { fact: scoring, path: $.pas } }`,
        ),
    );
    expect(found.map((d) => [d.path, d.message, d.hint])).toEqual([
      [
        'rules[0].when.all[0].path',
        "the fact 'candidate' has no field 'zzzzzzzz'",
        expect.stringMatching(/^its fields: opportunityId, name, /),
      ],
      ['rules[0].when.all[1].value.path', "the fact 'scoring' has no field 'pas'", "did you mean '$.pass'?"],
    ]);
  });

  it('accepts known fields, indexes after them, the whole fact, options, and paths that pick by pattern', () => {
    const conditions = [
      '{ fact: stage, path: $.name, operator: equal, value: x }',
      '{ fact: candidate, path: "$.tags[0]", operator: equal, value: x }',
      `{ fact: selection, path: "$['test']", operator: equal, value: x }`,
      '{ fact: stage, path: $, operator: equal, value: x }',
      '{ fact: options, path: $.anything, operator: equal, value: x }',
      '{ fact: invitations, path: "$..test", operator: equal, value: x }',
    ];
    expect(errors(base + ownRule(conditions.join(', ')))).toEqual([]);
  });
});

describe('rule checks: options the actions read', () => {
  it('reports an opt-in pack rule whose template reads an option the tenant does not set, at its enableRules line', () => {
    const found = errors(`${base}enableRules: [archive-on-fail]\n`);
    expect(found).toEqual([
      expect.objectContaining({
        line: 9,
        col: 15,
        code: 'unknown-fact',
        path: 'enableRules[0]',
        message: expect.stringMatching(
          /^the rule 'archive-on-fail' \(rules\/assessment-lifecycle\.yaml:\d+\) reads options\.archiveReasonOnFail, which this tenant does not set$/,
        ),
        hint: 'set it: options: { archiveReasonOnFail: … }',
      }),
    ]);
    expect(errors(`${base}enableRules: [archive-on-fail]\noptions: { archiveReasonOnFail: r-1 }\n`)).toEqual(
      [],
    );
  });

  it('hints at an option set under a near name', () => {
    const found = errors(`${base}enableRules: [archive-on-fail]\noptions: { archiveReasonOnFial: r-1 }\n`);
    expect(found.map((d) => d.hint)).toEqual([
      "the tenant sets 'archiveReasonOnFial': did you mean 'archiveReasonOnFail'?",
    ]);
  });

  it("reports a tenant rule's template at the template, in actions and in the reason, once per option", () => {
    const rule = `rules:
  - name: mine
    when: { all: [{ fact: event.type, operator: equal, value: ping }] }
    then:
      - { type: lever.moveStage, stage: "\${options.next}" }
      - { type: lever.addNote, text: "to \${options.next}" }
    reason: "by \${options.who}"
`;
    expect(errors(base + rule).map((d) => [d.line, d.col, d.path, d.message])).toEqual([
      [
        13,
        41,
        'rules[0].then[0].stage',
        "the rule 'mine' reads options.next, which this tenant does not set",
      ],
      [15, 13, 'rules[0].reason', "the rule 'mine' reads options.who, which this tenant does not set"],
    ]);
    expect(errors(`${base}options: { next: Onsite, who: me }\n${rule}`)).toEqual([]);
  });

  it('does not check a rule that is switched off, and reports a pack rule that is on by default at its pack', () => {
    const pack = loadPack(
      'rules/extra.yaml',
      `pack: extra
rules:
  - name: greet
    when: { all: [{ fact: event.type, operator: equal, value: ping }] }
    then: [{ type: lever.addNote, text: "\${options.greeting}" }]
`,
    );
    expect(pack.diagnostics).toEqual([]);
    const found = errors(`${base}packs: [assessment-lifecycle, extra]\n`, [lifecycle, pack]);
    expect(found.map((d) => [d.line, d.col, d.path, d.message])).toEqual([
      [
        9,
        31,
        'packs[1]',
        "the rule 'greet' (rules/extra.yaml:3) reads options.greeting, which this tenant does not set",
      ],
    ]);
    expect(
      errors(`${base}packs: [assessment-lifecycle, extra]\ndisableRules: [greet]\n`, [lifecycle, pack]),
    ).toEqual([]);
  });
});
