import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { captureIo } from '../../support/capture-io.js';
import { repoRoot } from '../../support/load-shipped-tenant.js';

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-check-fixture-'));
  cpSync(join(repoRoot, 'tenants'), join(dir, 'tenants'), { recursive: true });
  cpSync(join(repoRoot, 'rules'), join(dir, 'rules'), { recursive: true });
  return dir;
}

const oneCase = `cases:
  - name: deleted
    event: { type: candidateDeleted }
    expect: { actions: [{ type: candidate.purge }] }
`;

describe('stagegate test: fixture checks', () => {
  it('reports a `tenant:` that does not match the file name at the value, with a code and a hint', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'tenants/acme.test.yaml'), `# cases for acme\ntenant:   globex\n${oneCase}`);
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.test.yaml'], io)).toBe(2);
    expect(io.err()).toContain(
      "tenants/acme.test.yaml:2:11: the cases are for tenant 'globex' but the file is acme.test.yaml (at tenant) [tenant-mismatch]\n" +
        '    hint: write tenant: acme, or rename the file to globex.test.yaml',
    );
  });

  it('takes a .test.yml fixture for the tenant its name gives', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'tenants/acme.test.yml'), `tenant: acme\n${oneCase}`);
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.test.yml'], io)).toBe(0);
    expect(io.out()).toContain('✓ acme: deleted');
  });

  it("reports unknown facts and fields, and gathered fields of the wrong type, in a case's facts", async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'tenants/acme.test.yaml'),
      `tenant: acme
cases:
  - name: typos
    event: { type: candidateStageChange }
    facts:
      stage: { nmae: Technical Screen }
      candidat: { tags: [] }
      candidate: { tags: Frontend - React }
    expect: { actions: [] }
`,
    );
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.test.yaml'], io)).toBe(2);
    expect(io.err()).toContain(
      "tenants/acme.test.yaml:6:16: the fact 'stage' has no field 'nmae' (at cases[0].facts.stage.nmae) [unknown-fact]\n" +
        "    hint: did you mean 'stage.name'?",
    );
    expect(io.err()).toContain(
      "tenants/acme.test.yaml:7:7: there is no fact 'candidat' (at cases[0].facts.candidat) [unknown-fact]\n" +
        "    hint: did you mean 'candidate'?",
    );
    expect(io.err()).toContain(
      "tenants/acme.test.yaml:8:26: 'candidate.tags' must be a list of texts (at cases[0].facts.candidate.tags) [schema]",
    );
  });

  it('checks a derived fact given by its kind too, naming the words it may be', async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'tenants/acme.test.yaml'),
      `tenant: acme
cases:
  - name: wrong kinds
    event: { type: candidateStageChange }
    facts:
      selection: { held: "yes", source: tag }
      invitations: { all: [{ test: Backend - Python, status: mailed }] }
    expect: { actions: [] }
`,
    );
    const io = captureIo({ cwd: dir });
    expect(await runCli(['test', 'tenants/acme.test.yaml'], io)).toBe(2);
    expect(io.err()).toContain(
      "tenants/acme.test.yaml:6:26: 'selection.held' must be true or false (at cases[0].facts.selection.held) [schema]",
    );
    expect(io.err()).toContain(
      "'selection.source' must be one of candidateTag / posting / stageDefault, or null (at cases[0].facts.selection.source) [schema]",
    );
    expect(io.err()).toContain(
      "'invitations.all' must be a list of invitations (at cases[0].facts.invitations.all) [schema]\n" +
        '    hint: each one { test, status, id?, sentAt? } with status one of sending, sent, started, completed, cancelled, failed',
    );
  });
});

describe('stagegate explain --facts', () => {
  const payload = JSON.stringify({
    event: 'candidateStageChange',
    triggeredAt: 1767225600000,
    token: 't1',
    data: { opportunityId: 'o1' },
  });

  it('derives the trigger stage and the test from the stage name given', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'payload.json'), payload);
    writeFileSync(join(dir, 'facts.yaml'), 'stage: { name: Technical Screen }\n');
    const io = captureIo({ cwd: dir });
    expect(
      await runCli(['explain', '--tenant', 'acme', '--event', 'payload.json', '--facts', 'facts.yaml'], io),
    ).toBe(0);
    expect(io.out()).toContain(
      '{"type":"assessment.send","test":"Backend - Python","providerTestId":"t-101"}',
    );
    expect(io.out()).not.toContain('is not a trigger stage');
  });

  it('exits 2 on an unknown fact, naming file:line:col', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'payload.json'), payload);
    writeFileSync(join(dir, 'facts.yaml'), 'stage:\n  nmae: Technical Screen\n');
    const io = captureIo({ cwd: dir });
    expect(
      await runCli(['explain', '--tenant', 'acme', '--event', 'payload.json', '--facts', 'facts.yaml'], io),
    ).toBe(2);
    expect(io.err()).toContain(
      "facts.yaml:2:3: the fact 'stage' has no field 'nmae' (at stage.nmae) [unknown-fact]",
    );
  });
});
