import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { captureIo } from '../../support/capture-io.js';
import { repoRoot } from '../../support/load-shipped-tenant.js';

/** A copy of the shipped tenants and rules in a temp dir, so a test can add broken fixtures. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-test-cmd-'));
  cpSync(join(repoRoot, 'tenants'), join(dir, 'tenants'), { recursive: true });
  cpSync(join(repoRoot, 'rules'), join(dir, 'rules'), { recursive: true });
  return dir;
}

const failingCase = `tenant: acme
cases:
  - name: expects the wrong test
    event: { type: candidateStageChange, stage: Technical Screen }
    expect:
      actions:
        - { type: assessment.send, test: "Data - SQL", providerTestId: t-303 }
        - { type: lever.addTags, tags: ["Hired Assessments - Sent"] }
      notFired: [send-selected-test]
`;

describe('stagegate test', () => {
  it('passes every shipped fixture with 100% rule coverage per tenant', async () => {
    const io = captureIo({ cwd: repoRoot });
    expect(await runCli(['test', '--coverage-min', '100'], io)).toBe(0);
    expect(io.out()).toMatch(/coverage acme: 100% of 24 rules/);
    expect(io.out()).toMatch(/coverage globex: 100%/);
    expect(io.out()).toMatch(/coverage demo: 100%/);
    expect(io.out()).toMatch(/\d+ passed, 0 failed/);
  });

  it('prints a failing case as an expected/actual diff with the trace of the rules involved, and exits 1', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'tenants/acme.test.yaml'), failingCase);
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.test.yaml'], io)).toBe(1);
    const out = io.out();
    expect(out).toContain('✗ acme: expects the wrong test');
    expect(out).toContain('      - {"type":"assessment.send","providerTestId":"t-303","test":"Data - SQL"}');
    expect(out).toContain(
      '      + {"type":"assessment.send","providerTestId":"t-101","test":"Backend - Python"}',
    );
    expect(out).not.toContain('✗ no-email');
    expect(out).toContain("rule 'send-selected-test' fired but was expected not to");
    expect(out).toMatch(/✓ send-selected-test \(priority 50\) {2}rules\/assessment-lifecycle\.yaml:\d+:\d+/);
    expect(out).toMatch(
      /✓ stage\.isTrigger equal true \(fact was true\) {2}rules\/assessment-lifecycle\.yaml:\d+:\d+/,
    );
    expect(out).toMatch(/coverage acme: \d+% of 24 rules \(never fired: /);
  });

  it('writes --json and --junit reports, and -t selects cases by name', async () => {
    const dir = workspace();
    const junit = join(dir, 'report.xml');
    const io = captureIo({ cwd: dir });
    expect(
      await runCli(
        ['test', 'tenants/acme.test.yaml', '--json', '--junit', junit, '-t', 'pass threshold'],
        io,
      ),
    ).toBe(0);
    const report = JSON.parse(io.out()) as { passed: number; failed: number; results: { name: string }[] };
    expect(report.passed).toBe(1);
    expect(report.results[0]?.name).toMatch(/pass threshold/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuite name="acme" tests="1" failures="0">/);
  });

  it('exits 1 when no case matches, 0 with --allow-empty, and 1 below --coverage-min', async () => {
    expect(await runCli(['test', '-t', 'no such case'], captureIo({ cwd: repoRoot }))).toBe(1);
    expect(await runCli(['test', '-t', 'no such case', '--allow-empty'], captureIo({ cwd: repoRoot }))).toBe(
      0,
    );
    const io = captureIo({ cwd: repoRoot });
    expect(
      await runCli(['test', 'tenants/acme.test.yaml', '-t', 'default', '--coverage-min', '50'], io),
    ).toBe(1);
    expect(io.err()).toMatch(/rule coverage of acme is \d+%, below --coverage-min 50/);
  });

  it('exits 2 when a fixture file is invalid, naming file:line:col', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'tenants/acme.test.yaml'), 'tenant: acme\ncases:\n  - name: x\n    expct: {}\n');
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test'], io)).toBe(2);
    expect(io.err()).toContain(
      "tenants/acme.test.yaml:4:5: unknown key 'expct' (at cases[0].expct) [unknown-key]",
    );
  });
});

describe('stagegate explain', () => {
  it('prints one decision with actions, reasons and the trace, for a friendly event', async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'event.yaml'),
      'type: candidateStageChange\nstage: Technical Screen\ntags: ["Frontend - React"]\n',
    );
    const io = captureIo({ cwd: dir });
    expect(await runCli(['explain', '--tenant', 'acme', '--event', 'event.yaml'], io)).toBe(0);
    expect(io.out()).toContain(
      '{"type":"assessment.send","test":"Frontend - React","providerTestId":"t-202"}',
    );
    expect(io.out()).toContain('sending Frontend - React (chosen by candidateTag)');
    expect(io.out()).toMatch(/✗ not-a-trigger-stage \(priority 50\)/);
  });

  it('takes a raw Lever payload with --facts, and prints JSON with --json', async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'payload.json'),
      JSON.stringify({
        event: 'candidateStageChange',
        triggeredAt: 1767225600000,
        token: 't1',
        data: { opportunityId: 'o1' },
      }),
    );
    writeFileSync(join(dir, 'facts.yaml'), 'stage: { name: Onsite }\n');
    const io = captureIo({ cwd: dir });
    expect(
      await runCli(
        ['explain', '--tenant', 'acme', '--event', 'payload.json', '--facts', 'facts.yaml', '--json'],
        io,
      ),
    ).toBe(0);
    const decision = JSON.parse(io.out()) as { actions: unknown[]; fired: { name: string }[] };
    expect(decision.actions).toEqual([]);
    expect(decision.fired.map((r) => r.name)).toEqual(['not-a-trigger-stage']);
  });

  it('exits 2 for an unknown tenant', async () => {
    const io = captureIo({ cwd: repoRoot });
    expect(await runCli(['explain', '--tenant', 'nope', '--event', 'x.yaml'], io)).toBe(2);
    expect(io.err()).toMatch(/there is no tenant 'nope'/);
  });
});

describe('stagegate test: coverage of every tenant, tenant paths, contains diffs, the trace', () => {
  const zeta = (dir: string) =>
    writeFileSync(
      join(dir, 'tenants/zeta.yaml'),
      readFileSync(join(dir, 'tenants/acme.yaml'), 'utf8')
        .replace('tenant: acme', 'tenant: zeta')
        .replaceAll('ACME__', 'ZETA__'),
    );

  it('names a tenant with no fixture, and a coverage gate fails on it', async () => {
    const dir = workspace();
    zeta(dir);
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test'], io)).toBe(0);
    expect(io.out()).toContain('coverage zeta: no test cases (no tenants/zeta.test.yaml)');
    const gated = captureIo({ cwd: dir });
    expect(await runCli(['test', '--coverage-min', '100'], gated)).toBe(1);
    expect(gated.err()).toContain(
      'tenant zeta has no test cases (no tenants/zeta.test.yaml), below --coverage-min 100',
    );
  });

  it('takes a tenant file for its fixture, and says when it has none', async () => {
    const dir = workspace();
    zeta(dir);
    const acme = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.yaml'], acme)).toBe(0);
    expect(acme.out()).toMatch(/coverage acme: 100% of 24 rules/);
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/zeta.yaml'], io)).toBe(1);
    expect(io.out()).toContain('coverage zeta: no test cases (no tenants/zeta.test.yaml)');
    expect(io.err()).toContain('no test case was found: there is no tenants/zeta.test.yaml; write it');
    const missing = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/nobody.yaml'], missing)).toBe(2);
    expect(missing.err()).toBe('tenants/nobody.yaml:1:1: no such file [unreadable-file]\n');
  });

  it("holds a tenant to its fixture's coverageMin instead of --coverage-min", async () => {
    const dir = workspace();
    const partial = (min: number) => `tenant: acme
coverageMin: ${min}
cases:
  - name: the default test
    event: { type: candidateStageChange, stage: Technical Screen }
    expect: { fired: [send-selected-test] }
`;
    writeFileSync(join(dir, 'tenants/acme.test.yaml'), partial(4));
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.yaml', '--coverage-min', '100'], io)).toBe(0);
    expect(io.out()).toMatch(/coverage acme: 4% of 24 rules, minimum 4%/);
    writeFileSync(join(dir, 'tenants/acme.test.yaml'), partial(50));
    const below = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.yaml'], below)).toBe(1);
    expect(below.err()).toContain("rule coverage of acme is 4%, below its fixture's coverageMin 50");
  });

  it('shows what came out beside what a match: contains case expected, and only the rules for its event type', async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'tenants/acme.test.yaml'),
      `tenant: acme
cases:
  - name: wrong test
    event: { type: candidateStageChange, stage: Technical Screen }
    expect:
      match: contains
      actions: [{ type: assessment.send, test: "Data - SQL", providerTestId: t-303 }]
      notFired: [mark-pass]
`,
    );
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.test.yaml'], io)).toBe(1);
    const out = io.out();
    expect(out).toContain('      - {"type":"assessment.send","providerTestId":"t-303","test":"Data - SQL"}');
    expect(out).toContain(
      '      + {"type":"assessment.send","providerTestId":"t-101","test":"Backend - Python"}',
    );
    expect(out).toContain('      + {"type":"lever.addTags","tags":["Hired Assessments - Sent"]}');
    expect(out).toContain('✓ send-selected-test');
    // mark-pass is named in notFired, but it is a completion rule: its trace is noise here.
    expect(out).not.toContain('mark-pass (priority');
    const full = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.test.yaml', '--full'], full)).toBe(1);
    expect(full.out()).toContain('✗ mark-pass (priority 30)');
    expect(full.out()).toContain('✗ purge-when-deleted');
  });
});

describe('stagegate explain: the event checked, --brief, --full', () => {
  it('refuses an event type fixtures refuse, with the name meant, and exits 2', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'event.yaml'), 'type: stageChange\nstage: Technical Screen\n');
    const io = captureIo({ cwd: dir });
    expect(await runCli(['explain', '--tenant', 'acme', '--event', 'event.yaml'], io)).toBe(2);
    expect(io.err()).toContain('event.yaml:1:7: "stageChange" is not allowed here');
    expect(io.err()).toContain("hint: did you mean 'candidateStageChange'?");
    expect(io.out()).toBe('');
  });

  it('checks a raw Lever body too', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'raw.json'), '{"event": "candidateStagChange", "triggeredAt": "soon"}');
    const io = captureIo({ cwd: dir });
    expect(await runCli(['explain', '--tenant', 'acme', '--event', 'raw.json'], io)).toBe(2);
    expect(io.err()).toContain("'candidateStagChange' is not an event stagegate knows");
    expect(io.err()).toContain('triggeredAt must be a number');
  });

  it('says "no such file" for an event file that is not there', async () => {
    const io = captureIo({ cwd: workspace() });
    expect(await runCli(['explain', '--tenant', 'acme', '--event', 'missing.yaml'], io)).toBe(2);
    expect(io.err()).toBe('missing.yaml: no such file\n');
  });

  it('prints the rules for the event type by default, none with --brief, all with --full', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'event.yaml'), 'type: candidateStageChange\nstage: Technical Screen\n');
    const run = async (...flags: string[]) => {
      const io = captureIo({ cwd: dir });
      expect(await runCli(['explain', '--tenant', 'acme', '--event', 'event.yaml', ...flags], io)).toBe(0);
      return io.out();
    };
    const normal = await run();
    expect(normal).toContain('✗ no-email (priority 50)');
    expect(normal).not.toContain('mark-pass');
    expect(normal).toContain('(17 rules for other event types not shown; --full shows them)');
    const brief = await run('--brief');
    expect(brief).toContain('fired: send-selected-test');
    expect(brief).not.toContain('✗ no-email');
    expect(brief).toContain('sending Backend - Python (chosen by stageDefault)');
    expect(await run('--full')).toContain('✗ mark-pass (priority 30)');
  });
});
