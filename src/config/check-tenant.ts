import { basename } from 'node:path';
import type { Diagnostic } from './diagnostic.js';
import { createErrorReporter, type YamlFile, type YamlPath } from './read-yaml.js';
import { suggestName, tenantMismatchHint } from './suggest-name.js';
import type { TenantFile } from './types.js';

/** Checks a schema-valid tenant file for what a schema cannot see: names that must agree with each other. */
export function checkTenant(tenant: TenantFile, yaml: YamlFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = createErrorReporter(yaml, out);

  const expectedId = basename(yaml.file).replace(/\.ya?ml$/, '');
  if (tenant.tenant !== expectedId) {
    report(
      'tenant-mismatch',
      ['tenant'],
      `the tenant id '${tenant.tenant}' does not match the file name ${basename(yaml.file)}`,
      tenantMismatchHint(tenant.tenant, expectedId, '.yaml'),
    );
  }

  const testNames = Object.keys(tenant.tests);
  const checkTest = (name: string, path: YamlPath) => {
    if (Object.hasOwn(tenant.tests, name)) return;
    const guess = suggestName(name, testNames);
    report(
      'unknown-test',
      path,
      `'${name}' is not in the tests catalog`,
      `${guess ? `did you mean '${guess}'? ` : ''}known tests: ${testNames.join(', ')}`,
    );
  };

  const seenStages = new Map<string, number>();
  tenant.triggers.forEach((trigger, i) => {
    const key = trigger.stage.trim().toLowerCase();
    const first = seenStages.get(key);
    if (first !== undefined) {
      report(
        'duplicate-trigger',
        ['triggers', i, 'stage'],
        `the stage '${trigger.stage}' is already a trigger (triggers[${first}])`,
        'list each stage once',
      );
    } else {
      seenStages.set(key, i);
    }
    if (trigger.defaultTest !== undefined) checkTest(trigger.defaultTest, ['triggers', i, 'defaultTest']);
  });

  for (const [posting, test] of Object.entries(tenant.selection?.postings ?? {})) {
    checkTest(test, ['selection', 'postings', posting]);
  }

  const { pass, fail, maxScore } = tenant.scoring ?? {};
  const top = maxScore ?? 100;
  for (const [name, value] of [
    ['pass', pass],
    ['fail', fail],
  ] as const) {
    // Best effort after schema errors too: a threshold written as text is the schema's to report.
    if (typeof value !== 'number' || typeof top !== 'number' || value <= top) continue;
    report(
      'thresholds',
      ['scoring', name],
      `the ${name} threshold ${value} is above the highest score: ${maxScore === undefined ? 'scores are out of 100' : `scoring.maxScore is ${top}`}`,
      maxScore === undefined
        ? `write a threshold from 0 to 100 (${name}: ${name === 'pass' ? 70 : 40}); if the vendor scores out of more, declare its top score: scoring: { maxScore: 200, ${name}: ${value} }`
        : `write a threshold from 0 to ${top}, or raise maxScore`,
    );
  }
  if (pass !== undefined && fail !== undefined && fail >= pass) {
    report(
      'thresholds',
      ['scoring', 'fail'],
      `the fail threshold (${fail}) must be below the pass threshold (${pass})`,
      'scores between the two get Needs Review',
    );
  }

  if (tenant.resend?.policy === 'after' && tenant.resend.after === undefined) {
    report(
      'missing-key',
      ['resend'],
      "the policy 'after' needs `after:`, a duration such as 30d",
      'write resend: { policy: after, after: 30d }',
    );
  }

  (tenant.rules ?? []).forEach((rule, r) => {
    (rule.then ?? []).forEach((action, a) => {
      if (
        action.type === 'assessment.send' &&
        typeof action.test === 'string' &&
        !action.test.includes('${')
      ) {
        checkTest(action.test, ['rules', r, 'then', a, 'test']);
      }
    });
  });
  return out;
}
