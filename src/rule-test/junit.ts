import type { CaseResult } from './types.js';

/** JUnit XML, one testsuite per tenant, for CI systems that show test reports. */
export function toJunit(results: readonly CaseResult[]): string {
  const byTenant = new Map<string, CaseResult[]>();
  for (const result of results) byTenant.set(result.tenant, [...(byTenant.get(result.tenant) ?? []), result]);
  const suites = [...byTenant].map(([tenant, cases]) => {
    const failures = cases.filter((c) => !c.passed).length;
    const body = cases
      .map((c) => {
        const open = `    <testcase classname="${xml(tenant)}" name="${xml(c.name)}">`;
        if (c.passed) return `${open}</testcase>`;
        const detail = [...c.problems, ...c.trace].join('\n');
        return `${open}\n      <failure message="${xml(c.problems[0] ?? 'failed')}">${xml(detail)}</failure>\n    </testcase>`;
      })
      .join('\n');
    return `  <testsuite name="${xml(tenant)}" tests="${cases.length}" failures="${failures}">\n${body}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}\n</testsuites>\n`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
