import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/cli/check/types.js';
import { runCli } from '../../src/cli/main.js';
import { captureIo } from '../support/capture-io.js';
import { partnerTenant } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

let world: World;

beforeEach(async () => {
  world = await startWorld(['acme'], {
    stages: [
      { id: 'stage-new', text: 'New lead' },
      { id: 'stage-screen', text: 'Technical Screen' },
    ],
  });
});

afterEach(() => world.close());

async function check(argv: string[], overrides: Record<string, string | undefined> = {}) {
  const io = captureIo({
    cwd: world.root,
    env: { STAGEGATE_ALLOWED_HOSTS: '127.0.0.1', ...world.env, ...overrides },
  });
  const code = await runCli(['check', ...argv], io);
  return { code, out: io.out(), err: io.err() };
}

function checks(out: string): CheckResult[] {
  return (JSON.parse(out) as { checks: CheckResult[] }).checks;
}

describe('stagegate check', () => {
  it('passes every check against the real Lever and vendor (exit 0), and writes nothing to them', async () => {
    const answer = await check(['--tenant', 'acme']);
    expect(answer.err).toBe('');
    expect(answer.code).toBe(0);
    expect(answer.out).toContain(
      '✓ secret ACME__LEVER_API_KEY: the environment variable ACME__LEVER_API_KEY is set',
    );
    expect(answer.out).toContain(
      "✓ trigger stage 'Technical Screen': exists in Lever as 'Technical Screen' (stage-screen)",
    );
    expect(answer.out).toContain("✓ test 'Backend - Python': the vendor has sandbox-python");
    expect(answer.out).toContain('✓ webhook candidateStageChange');
    expect(answer.out).toContain('all checks passed');
    expect(world.lever.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /stages']);
    expect(world.vendor.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /list_tests']);

    const json = await check(['--tenant', 'acme', '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as { ok: boolean; checks: CheckResult[] };
    expect(parsed.ok).toBe(true);
    expect(parsed.checks.every((c) => c.status === 'ok')).toBe(true);
  });

  it('names the missing trigger stage and the missing test, with the fix (exit 1)', async () => {
    const text = partnerTenant('acme', world.lever.baseUrl, world.vendor.baseUrl)
      .replace('- stage: Technical Screen', '- stage: Technical Screening')
      .replace('providerTestId: "sandbox-react"', 'providerTestId: "sandbox-reactt"');
    await writeFile(join(world.root, 'tenants', 'acme.yaml'), text);

    const answer = await check(['--tenant', 'acme']);
    expect(answer.code).toBe(1);
    expect(answer.out).toContain(
      "✗ trigger stage 'Technical Screening': Lever has no stage named 'Technical Screening'",
    );
    expect(answer.out).toContain("fix: did you mean 'Technical Screen'? set triggers[0].stage to it");
    expect(answer.out).toContain("✗ test 'Frontend - React': the vendor has no test sandbox-reactt");
    expect(answer.out).toContain(
      `fix: the vendor's 'Frontend - React' is sandbox-react: set tests."Frontend - React".providerTestId to it`,
    );
    expect(answer.out).toContain("✓ test 'Backend - Python'");
    expect(answer.out).toContain('2 check(s) failed');

    const json = checks((await check(['--tenant', 'acme', '--json'])).out);
    expect(json.filter((c) => c.status === 'failed').map((c) => c.check)).toEqual([
      "trigger stage 'Technical Screening'",
      "test 'Frontend - React'",
    ]);
  });

  it('says Lever refused the API key and in which variable (exit 1)', async () => {
    const answer = await check(['--tenant', 'acme'], { ACME__LEVER_API_KEY: 'not-the-key' });
    expect(answer.code).toBe(1);
    expect(answer.out).toContain('✗ Lever API key: Lever refused the API key in ACME__LEVER_API_KEY');
    expect(answer.out).toContain("- trigger stage 'Technical Screen': not checked: Lever did not answer");
    // 401 is final: no retry spent on it.
    expect(world.lever.requests).toHaveLength(1);
  });

  it('names each unset secret, and warns about webhook events without a token (exit 1)', async () => {
    const text = partnerTenant('acme', world.lever.baseUrl, world.vendor.baseUrl).replace(
      /\s+candidate(ArchiveChange|Hired|Deleted): \[\{ env: ACME__TOKEN \}\]/g,
      '',
    );
    await writeFile(join(world.root, 'tenants', 'acme.yaml'), text);
    const answer = await check(['--tenant', 'acme', '--json'], { ACME__VENDOR_KEY: undefined });
    expect(answer.code).toBe(1);
    const results = checks(answer.out);
    expect(results.find((c) => c.check === 'secret ACME__VENDOR_KEY')).toMatchObject({
      status: 'failed',
      fix: "set ACME__VENDOR_KEY in stagegate's environment",
    });
    expect(results.find((c) => c.check === 'webhook candidateHired')).toMatchObject({ status: 'warning' });
    expect(results.find((c) => c.check === 'webhook candidateStageChange')).toMatchObject({ status: 'ok' });
    expect(world.vendor.requests).toHaveLength(0);
  });

  it('exits 2 for an unknown tenant', async () => {
    const answer = await check(['--tenant', 'nobody']);
    expect(answer.code).toBe(2);
    expect(answer.err).toContain("there is no tenant 'nobody'");
  });
});

describe('stagegate check: lines that agree with each other', () => {
  it('does not call a signature token configured when its secret is not set', async () => {
    const answer = await check(['--tenant', 'acme'], { ACME__TOKEN: undefined });
    expect(answer.code).toBe(1);
    expect(answer.out).toContain('✗ secret ACME__TOKEN');
    expect(answer.out).toContain(
      '✗ webhook candidateStageChange: the file names a signature token (ACME__TOKEN) but it is not set: every stage change is refused, so no test is ever sent',
    );
    expect(answer.out).toContain('    fix: set ACME__TOKEN (see the secret line above)');
    expect(answer.out).not.toContain('a signature token is set');
    expect(answer.out).toContain('! webhook candidateHired: the file names a signature token (ACME__TOKEN)');
  });
});
