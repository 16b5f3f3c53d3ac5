import type { TenantSnapshot } from '../config/types.js';
import { decide } from '../decide/decide.js';
import { concernsEvent, formatTrace } from '../decide/format-trace.js';
import { buildFactInput, defaultFixtureNow, factsForCase } from './build-fact-input.js';
import { compareActions } from './compare-actions.js';
import type { CaseResult, FixtureFile } from './types.js';

/** Runs a fixture file's cases (those whose name matches `pattern`) against one tenant version. */
export async function runFixture(
  file: string,
  fixture: FixtureFile,
  tenant: TenantSnapshot,
  pattern?: RegExp,
  options: { full: boolean } = { full: false },
): Promise<{ results: CaseResult[]; fired: Set<string> }> {
  const now = fixture.now ? Date.parse(fixture.now) : defaultFixtureNow;
  const fired = new Set<string>();
  const results: CaseResult[] = [];
  for (const [index, testCase] of fixture.cases.entries()) {
    if (pattern && !pattern.test(testCase.name)) continue;
    const input = buildFactInput(testCase, index, now);
    const facts = factsForCase(tenant, input, testCase.facts);
    const decision = await decide(
      tenant,
      { ...facts.event, opportunityId: facts.candidate.opportunityId },
      facts,
    );
    const firedNames = decision.fired.map((rule) => rule.name);
    for (const name of firedNames) fired.add(name);

    const expect = testCase.expect;
    const problems: string[] = [];
    if (expect.actions) {
      const diff = compareActions(expect.actions, decision.actions, {
        match: expect.match ?? 'exact',
        ordered: expect.ordered ?? false,
      });
      if (diff.length > 0)
        problems.push('actions differ (- expected, + actual):', ...diff.map((line) => `  ${line}`));
    }
    for (const name of expect.fired ?? []) {
      if (!firedNames.includes(name)) problems.push(`rule '${name}' was expected to fire but did not`);
    }
    for (const name of expect.notFired ?? []) {
      if (firedNames.includes(name)) problems.push(`rule '${name}' fired but was expected not to`);
    }
    const involved = new Set([...firedNames, ...(expect.fired ?? []), ...(expect.notFired ?? [])]);
    const missingTypes = new Set(
      problems
        .filter((line) => line.startsWith('  - {'))
        .map((line) => (JSON.parse(line.slice(4)) as { type: string }).type),
    );
    for (const rule of tenant.rules) {
      if (rule.then.some((action) => missingTypes.has(action.type as never))) involved.add(rule.name);
    }
    results.push({
      tenant: tenant.id,
      file,
      name: testCase.name,
      passed: problems.length === 0,
      problems,
      fired: firedNames,
      // The rules involved, less those for another event type (noise); --full: every rule.
      trace:
        problems.length === 0
          ? []
          : decision.trace
              .filter(
                (rule) =>
                  options.full ||
                  (involved.has(rule.rule) &&
                    (concernsEvent(rule, facts.event.type) || (expect.fired ?? []).includes(rule.rule))),
              )
              .flatMap(formatTrace),
    });
  }
  return { results, fired };
}
