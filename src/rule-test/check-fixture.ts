import { basename } from 'node:path';
import type { Diagnostic } from '../config/diagnostic.js';
import type { YamlFile } from '../config/read-yaml.js';
import { tenantMismatchHint } from '../config/suggest-name.js';
import { checkGivenFacts } from './given-facts.js';
import type { FixtureFile } from './types.js';

/**
 * Checks a schema-valid fixture file for what the schema cannot see: the tenant it names is the one
 * its file name says (tenants/<tenant>.test.yaml), and every case's `facts:` names facts that exist.
 */
export function checkFixture(fixture: FixtureFile, yaml: YamlFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  const name = basename(yaml.file);
  const expected = name.replace(/\.test\.ya?ml$/, '');
  if (fixture.tenant !== expected) {
    out.push({
      file: yaml.file,
      ...yaml.locate(['tenant']),
      code: 'tenant-mismatch',
      message: `the cases are for tenant '${fixture.tenant}' but the file is ${name}`,
      path: 'tenant',
      severity: 'error',
      hint: tenantMismatchHint(fixture.tenant, expected, '.test.yaml'),
    });
  }
  fixture.cases.forEach((testCase, i) => {
    if (testCase.facts !== undefined)
      out.push(...checkGivenFacts(testCase.facts, yaml, ['cases', i, 'facts']));
  });
  return out;
}
