import { suggestName } from '../../config/suggest-name.js';
import type { TenantSettings } from '../../config/types.js';
import { toStagegateError } from '../../kernel/errors.js';
import type { AssessmentProvider, ProviderTest } from '../../providers/types.js';
import type { CheckResult, ResolvedSecret } from './types.js';

/** Every catalog test's providerTestId is one the vendor lists. The sandbox accepts any id. */
export async function checkTests(
  settings: TenantSettings,
  apiKey: ResolvedSecret | null,
  provider: AssessmentProvider | undefined,
): Promise<CheckResult[]> {
  const catalog = Object.entries(settings.tests);
  if (settings.provider.kind === 'sandbox') {
    return [
      {
        check: 'tests',
        status: 'ok',
        message: `sandbox provider: its ${catalog.length} test(s) always exist`,
      },
    ];
  }
  const skip = (why: string): CheckResult[] =>
    catalog.map(([name]) => ({ check: `test '${name}'`, status: 'skipped', message: `not checked: ${why}` }));
  if (settings.provider.baseUrl === null) {
    return [
      {
        check: 'vendor',
        status: 'failed',
        message: 'provider.baseUrl is not set',
        fix: "set provider.baseUrl to the vendor's partner API root",
      },
      ...skip('no vendor URL'),
    ];
  }
  if (provider === undefined) {
    const why = apiKey === null ? 'provider.apiKey is not configured' : `${apiKey.name} is not set`;
    return [
      {
        check: 'vendor',
        status: apiKey === null ? 'failed' : 'skipped',
        message: apiKey === null ? why : `not checked: ${why}`,
        ...(apiKey === null
          ? { fix: "add provider.apiKey: { env: VARIABLE } holding the vendor's API key" }
          : {}),
      },
      ...skip(why),
    ];
  }

  let offered: ProviderTest[];
  try {
    offered = await provider.listTests();
  } catch (error) {
    const failure = toStagegateError(error);
    const status = failure.details.status;
    const refused = status === 401 || status === 403;
    return [
      {
        check: 'vendor',
        status: 'failed',
        message: refused
          ? `the vendor refused the API key in ${apiKey?.name ?? 'provider.apiKey'}`
          : `listing the vendor's tests failed: ${failure.message}`,
        fix: refused
          ? `put the key the vendor issued in ${apiKey?.name ?? 'provider.apiKey'}`
          : 'check provider.baseUrl in the tenant file and that the vendor can be reached from here',
      },
      ...skip('the vendor did not list its tests'),
    ];
  }

  const results: CheckResult[] = [
    { check: 'vendor', status: 'ok', message: `the vendor lists ${offered.length} test(s)` },
  ];
  for (const [name, test] of catalog) {
    const found = offered.find((candidate) => candidate.id === test.providerTestId);
    if (found !== undefined) {
      results.push({
        check: `test '${name}'`,
        status: 'ok',
        message: `the vendor has ${test.providerTestId} ('${found.name}')`,
      });
      continue;
    }
    results.push({
      check: `test '${name}'`,
      status: 'failed',
      message: `the vendor has no test ${test.providerTestId}`,
      fix: fixForTest(name, test.providerTestId, offered),
    });
  }
  return results;
}

function fixForTest(name: string, providerTestId: string, offered: readonly ProviderTest[]): string {
  const field = `tests."${name}".providerTestId`;
  const byName = offered.find((test) => test.name.toLowerCase() === name.toLowerCase());
  if (byName !== undefined) return `the vendor's '${byName.name}' is ${byName.id}: set ${field} to it`;
  const closest = suggestName(
    providerTestId,
    offered.map((test) => test.id),
  );
  if (closest !== undefined) return `did you mean ${closest}? set ${field} to it`;
  const list = offered
    .slice(0, 10)
    .map((test) => `${test.id} ('${test.name}')`)
    .join(', ');
  return `set ${field} to one of the vendor's tests: ${list || 'it lists none'}`;
}
