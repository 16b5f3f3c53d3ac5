import { writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { checkSchema } from '../config/check-schema.js';
import { formatDiagnostic } from '../config/diagnostic.js';
import { loadTenant } from '../config/load-tenant.js';
import { readYaml } from '../config/read-yaml.js';
import { isTenantFile } from '../config/tenant-registry.js';
import { checkFixture } from '../rule-test/check-fixture.js';
import { toJunit } from '../rule-test/junit.js';
import { runFixture } from '../rule-test/run-fixture.js';
import type { CaseResult, FixtureFile } from '../rule-test/types.js';
import { type CliIo, exitCodes, paint } from './io.js';
import {
  configDirs,
  expandPaths,
  loadPacks,
  readText,
  secretSources,
  unreadableFile,
} from './load-config-files.js';

export interface TestOptions {
  json?: boolean;
  junit?: string;
  coverageMin?: number;
  allowEmpty?: boolean;
  testNamePattern?: string;
  /** Print the trace of every rule of a failing case, not only of those about its event type. */
  full?: boolean;
}

interface TenantCoverage {
  tenant: string;
  rules: string[];
  unfired: string[];
  percent: number;
  /** The minimum this tenant is held to: its fixture's `coverageMin`, else `--coverage-min`. */
  minimum?: number;
  /** Set when the tenant has no fixture file: where one is looked for. */
  missingFixture?: string;
}

/**
 * `stagegate test [paths…]`: runs rule test cases (tenants/<id>.test.yaml) against their tenants.
 * Exit 0 all pass; 1 a case failed, no case ran, or coverage is below --coverage-min; 2 a file is invalid.
 */
export async function testCommand(io: CliIo, paths: string[], options: TestOptions): Promise<number> {
  const dirs = configDirs(io);
  const display = (path: string) => relative(io.cwd, path) || path;
  const packs = loadPacks(dirs.rulesDir, display);
  const { fixtureFiles, untested } = fixturesFor(
    expandPaths(paths.length > 0 ? paths : [dirs.tenantsDir], io.cwd),
    dirs.rulesDir,
  );
  const pattern = options.testNamePattern ? new RegExp(options.testNamePattern, 'i') : undefined;

  const invalid: string[] = [];
  const results: CaseResult[] = [];
  const coverage = new Map<string, { rules: string[]; fired: Set<string>; minimum?: number }>();
  for (const path of fixtureFiles) {
    const file = display(path);
    const text = readText(path);
    if (text === undefined) {
      invalid.push(formatDiagnostic(unreadableFile(file, path)));
      continue;
    }
    const yaml = readYaml(file, text);
    const problems =
      yaml.data === undefined ? yaml.diagnostics : [...yaml.diagnostics, ...checkSchema('fixture', yaml)];
    if (problems.length > 0) {
      invalid.push(...problems.map(formatDiagnostic));
      continue;
    }
    const fixture = yaml.data as FixtureFile;
    const fixtureProblems = checkFixture(fixture, yaml);
    if (fixtureProblems.length > 0) {
      invalid.push(...fixtureProblems.map(formatDiagnostic));
      continue;
    }
    const tenantPath = join(dirname(path), `${fixture.tenant}.yaml`);
    // A missing tenant file (deleted while `--watch` runs, say) is named as such, not as an empty one.
    const tenantText = readText(tenantPath);
    if (tenantText === undefined) {
      invalid.push(formatDiagnostic(unreadableFile(display(tenantPath), tenantPath)));
      continue;
    }
    const load = loadTenant({
      file: display(tenantPath),
      text: tenantText,
      findPack: (name) => packs.get(name),
      packNames: [...packs.keys()],
      secrets: secretSources(io),
      // Rule tests send nothing; `stagegate validate` checks the hosts.
      allowedHosts: 'unchecked',
    });
    if (!load.snapshot) {
      invalid.push(...load.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic));
      if (load.diagnostics.length === 0)
        invalid.push(`${display(tenantPath)}:1:1: the tenant file cannot be read`);
      continue;
    }
    const run = await runFixture(file, fixture, load.snapshot, pattern, { full: options.full === true });
    results.push(...run.results);
    const entry = coverage.get(load.tenant) ?? {
      rules: load.snapshot.rules.map((rule) => rule.name),
      fired: new Set(),
    };
    for (const name of run.fired) entry.fired.add(name);
    if (fixture.coverageMin !== undefined) entry.minimum = Math.max(entry.minimum ?? 0, fixture.coverageMin);
    coverage.set(load.tenant, entry);
  }

  if (invalid.length > 0) {
    for (const line of invalid) io.stderr.write(`${paint(io, 'red', line)}\n`);
    return exitCodes.invalid;
  }
  const tenants: TenantCoverage[] = [...coverage].map(([tenant, { rules, fired, minimum }]) => {
    const unfired = rules.filter((rule) => !fired.has(rule));
    const held = minimum ?? options.coverageMin;
    return {
      tenant,
      rules,
      unfired,
      percent: rules.length === 0 ? 100 : Math.floor((100 * (rules.length - unfired.length)) / rules.length),
      ...(held === undefined ? {} : { minimum: held }),
    };
  });
  // A tenant without a fixture has 0 % coverage: it is named, and a coverage gate fails on it.
  for (const { tenant, fixture } of untested) {
    if (coverage.has(tenant)) continue;
    tenants.push({
      tenant,
      rules: [],
      unfired: [],
      percent: 0,
      missingFixture: display(fixture),
      ...(options.coverageMin === undefined ? {} : { minimum: options.coverageMin }),
    });
  }
  if (options.junit) writeFileSync(options.junit, toJunit(results));

  const failed = results.filter((result) => !result.passed);
  const belowCoverage = tenants.filter((t) => t.minimum !== undefined && t.percent < t.minimum);
  const empty = results.length === 0 && !options.allowEmpty;
  if (options.json) {
    io.stdout.write(
      `${JSON.stringify({ passed: results.length - failed.length, failed: failed.length, results, coverage: tenants }, null, 2)}\n`,
    );
  } else {
    printReport(io, results, tenants);
  }
  if (empty) {
    const without = tenants.filter((t) => t.missingFixture !== undefined).map((t) => t.missingFixture);
    io.stderr.write(
      without.length > 0
        ? `no test case was found: there is no ${without.join(', ')}; write it (see "Rule test cases" in the README), or pass --allow-empty to accept that\n`
        : 'no test case was found (pass --allow-empty to accept that)\n',
    );
  }
  for (const t of belowCoverage) {
    const gate =
      t.minimum === options.coverageMin
        ? `--coverage-min ${t.minimum}`
        : `its fixture's coverageMin ${t.minimum}`;
    io.stderr.write(
      t.missingFixture === undefined
        ? `rule coverage of ${t.tenant} is ${t.percent}%, below ${gate}\n`
        : `tenant ${t.tenant} has no test cases (no ${t.missingFixture}), below ${gate}: write that file (see "Rule test cases" in the README)\n`,
    );
  }
  return failed.length > 0 || empty || belowCoverage.length > 0 ? exitCodes.failed : exitCodes.ok;
}

function printReport(io: CliIo, results: readonly CaseResult[], tenants: readonly TenantCoverage[]): void {
  for (const result of results) {
    const mark = result.passed ? paint(io, 'green', '✓') : paint(io, 'red', '✗');
    io.stdout.write(`${mark} ${result.tenant}: ${result.name}\n`);
    if (result.passed) continue;
    for (const line of result.problems) io.stdout.write(`    ${colourDiff(io, line)}\n`);
    if (result.trace.length > 0) {
      io.stdout.write(`    ${paint(io, 'dim', 'rules involved:')}\n`);
      for (const line of result.trace) io.stdout.write(`      ${line}\n`);
    }
  }
  for (const t of tenants) {
    if (t.missingFixture !== undefined) {
      io.stdout.write(
        `${paint(io, 'yellow', `coverage ${t.tenant}: no test cases`)} (no ${t.missingFixture})\n`,
      );
      continue;
    }
    const unfired = t.unfired.length === 0 ? '' : ` (never fired: ${t.unfired.join(', ')})`;
    const minimum = t.minimum === undefined ? '' : `, minimum ${t.minimum}%`;
    io.stdout.write(`coverage ${t.tenant}: ${t.percent}% of ${t.rules.length} rules${minimum}${unfired}\n`);
  }
  const failed = results.filter((r) => !r.passed).length;
  const summary = `${results.length - failed} passed, ${failed} failed`;
  io.stdout.write(`${paint(io, failed === 0 ? 'green' : 'red', summary)}\n`);
}

function colourDiff(io: CliIo, line: string): string {
  if (line.trimStart().startsWith('- ')) return paint(io, 'red', line);
  if (line.trimStart().startsWith('+ ')) return paint(io, 'green', line);
  return line;
}

/**
 * The fixture files to run for what the command line named: a fixture as given; a tenant file
 * (tenants/zeta.yaml) stands for its fixture next to it, and when it has none it is returned in
 * `untested`, so that the coverage report names it. Packs in the rules directory are not tenants.
 */
function fixturesFor(
  paths: readonly string[],
  rulesDir: string,
): { fixtureFiles: string[]; untested: { tenant: string; fixture: string }[] } {
  const fixtureFiles: string[] = [];
  const untested: { tenant: string; fixture: string }[] = [];
  const add = (path: string) => {
    if (!fixtureFiles.includes(path)) fixtureFiles.push(path);
  };
  for (const path of paths) {
    if (/\.test\.ya?ml$/.test(path)) {
      add(path);
    } else if (isTenantFile(path) && dirname(path) !== rulesDir) {
      const stem = path.replace(/\.ya?ml$/, '');
      const fixture = [`${stem}.test.yaml`, `${stem}.test.yml`].find(
        (candidate) => readText(candidate) !== undefined,
      );
      if (fixture !== undefined) add(fixture);
      else if (readText(path) !== undefined)
        untested.push({ tenant: basename(stem), fixture: `${stem}.test.yaml` });
      else add(path); // reported as unreadable below
    }
  }
  return { fixtureFiles, untested };
}
