import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../../src/cli/main.js';
import type { FixtureFile } from '../../../src/rule-test/types.js';
import { captureIo } from '../../support/capture-io.js';
import { repoRoot } from '../../support/load-shipped-tenant.js';

// The README's "Rule test cases" section is what account managers copy from: its examples are run
// here as they are written, so that an edit to the code or the README cannot leave them broken.
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The first fenced block of `language` after the heading `heading`. */
function fencedBlock(heading: string, language: string): string {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const match = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(section);
  if (readme.indexOf(`\n${heading}\n`) < 0 || !match?.[1])
    throw new Error(`no ${language} block after ${heading}`);
  return match[1];
}

/** A copy of the shipped tenants and rules in a temp dir, to write the README's files into. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-readme-'));
  cpSync(join(repoRoot, 'tenants'), join(dir, 'tenants'), { recursive: true });
  cpSync(join(repoRoot, 'rules'), join(dir, 'rules'), { recursive: true });
  return dir;
}

const fixtureExample = fencedBlock('### Rule test cases', 'yaml');

describe("the README's rule test cases", () => {
  it('passes as tenants/acme.test.yaml, every case', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'tenants/acme.test.yaml'), fixtureExample);
    const io = captureIo({ cwd: dir });
    const code = await runCli(['test', 'tenants/acme.test.yaml'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const cases = (parse(fixtureExample) as FixtureFile).cases;
    expect(cases.some((c) => c.payload !== undefined && c.facts !== undefined)).toBe(true);
    for (const c of cases) expect(io.out()).toContain(`✓ acme: ${c.name}`);
    expect(io.out()).toContain(`${cases.length} passed, 0 failed`);
  });

  it("explains its raw-payload case's payload and facts, as files, to the actions the case expects", async () => {
    const dir = workspace();
    const raw = (parse(fixtureExample) as FixtureFile).cases.find((c) => c.payload && c.facts);
    if (!raw?.expect.actions) throw new Error('the README example has no raw-payload case with actions');
    writeFileSync(join(dir, 'payload.json'), JSON.stringify(raw.payload));
    writeFileSync(join(dir, 'facts.yaml'), JSON.stringify(raw.facts));
    const io = captureIo({ cwd: dir });
    const args = [
      'explain',
      '--tenant',
      'acme',
      '--event',
      'payload.json',
      '--facts',
      'facts.yaml',
      '--json',
    ];
    expect(await runCli(args, io)).toBe(0);
    const decision = JSON.parse(io.out()) as { actions: unknown[] };
    for (const action of raw.expect.actions) expect(decision.actions).toContainEqual(action);
  });

  it('shows a failing case as `stagegate test` prints it (positions in the pack aside)', async () => {
    const shown = fencedBlock('### Rule test cases', 'text').trimEnd().split('\n');
    const dir = workspace();
    writeFileSync(
      join(dir, 'tenants/acme.test.yaml'),
      `tenant: acme
cases:
  - name: expects the wrong test
    event: { type: candidateStageChange, stage: Technical Screen }
    expect:
      actions:
        - { type: assessment.send, test: "Data - SQL", providerTestId: t-303 }
        - { type: lever.addTags, tags: ["Hired Assessments - Sent"] }
`,
    );
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.test.yaml'], io)).toBe(1);
    const position = /\.yaml:\d+:\d+/g;
    const printed = io.out().replace(position, '.yaml:L:C').split('\n');
    // Every line the README shows is printed, in that order (the README leaves some trace lines out).
    let at = 0;
    for (const line of shown.map((l) => l.replace(position, '.yaml:L:C'))) {
      const found = printed.indexOf(line, at);
      expect(found, `README line not printed (in order): ${line}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });
});
