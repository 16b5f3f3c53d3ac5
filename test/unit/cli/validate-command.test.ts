import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { captureIo } from '../../support/capture-io.js';
import { shippedAllowedHosts } from '../../support/load-shipped-tenant.js';

const root = resolve(import.meta.dirname, '../../..');
const operatorEnv = { STAGEGATE_ALLOWED_HOSTS: shippedAllowedHosts.join(',') };

describe('stagegate validate', () => {
  it('passes every shipped tenant, pack and fixture file (missing secrets are warnings)', async () => {
    const io = captureIo({ cwd: root, env: operatorEnv });
    expect(await runCli(['validate'], io)).toBe(0);
    expect(io.out()).toMatch(/0 errors/);
    expect(io.out()).toMatch(/warning: the environment variable ACME__LEVER_API_KEY is not set/);
  });

  it("refuses the shipped tenants' hosts until the operator lists them in STAGEGATE_ALLOWED_HOSTS", async () => {
    const io = captureIo({ cwd: root });
    expect(await runCli(['validate', 'tenants'], io)).toBe(2);
    expect(io.out()).toMatch(
      /tenants\/acme\.yaml:\d+:\d+: the vendor base URL goes to assessments\.hired\.example, which the operator has not allowed \(at provider\.baseUrl\) \[host-not-allowed\]\n {4}hint: the operator adds assessments\.hired\.example to STAGEGATE_ALLOWED_HOSTS/,
    );
    expect(io.out()).toMatch(/tenants\/demo\.yaml:15:12: the Lever base URL goes to 127\.0\.0\.1, which/);
  });

  it('exits 2 when STAGEGATE_ALLOWED_HOSTS lists something that is not a host name', async () => {
    const io = captureIo({ cwd: root, env: { STAGEGATE_ALLOWED_HOSTS: 'https://vendor.example/x' } });
    expect(await runCli(['validate', 'rules'], io)).toBe(2);
    expect(io.err()).toContain('STAGEGATE_ALLOWED_HOSTS must list host names only');
  });

  it('checks a fixture as `stagegate test` would: a tenant name that does not match, at its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagegate-validate-'));
    const file = join(dir, 'acme.test.yaml');
    writeFileSync(
      file,
      [
        'tenant: globex',
        'cases:',
        '  - name: a stage change',
        '    event: { type: candidateStageChange, stage: Onsite }',
        '    expect: { actions: [] }',
        '',
      ].join('\n'),
    );
    const io = captureIo({ cwd: dir });
    expect(await runCli(['validate', file], io)).toBe(2);
    expect(io.out()).toMatch(
      /acme\.test\.yaml:1:9: the cases are for tenant 'globex' but the file is acme\.test\.yaml/,
    );
  });

  it('exits 2 with --require-secrets when a secret is missing', async () => {
    const io = captureIo({ cwd: root, env: operatorEnv });
    expect(await runCli(['validate', 'tenants/acme.yaml', '--require-secrets'], io)).toBe(2);
  });

  it('exits 2 and lists every problem as file:line:col, with --json for machines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagegate-validate-'));
    const file = join(dir, 'acme.yaml');
    writeFileSync(
      file,
      [
        'tenant: acme',
        'lever:',
        '  apiKey: { env: ACME__KEY }',
        '  webhookTokens: { candidateStageChange: [{ env: ACME__TOKEN }] }',
        'provider: { kind: sandbox }',
        'tests:',
        '  "Backend - Python": { providerTestId: t-1 }',
        'triggers:',
        '  - stage: Technical Screen',
        '    defaultTset: "Backend - Python"',
        '',
      ].join('\n'),
    );
    const io = captureIo({ cwd: root });
    expect(await runCli(['validate', file], io)).toBe(2);
    expect(io.out()).toContain(
      `acme.yaml:10:5: unknown key 'defaultTset' (at triggers[0].defaultTset) [unknown-key]`,
    );
    expect(io.out()).toContain("hint: did you mean 'defaultTest'?");

    const json = captureIo({ cwd: root });
    expect(await runCli(['validate', '--json', file], json)).toBe(2);
    const report = JSON.parse(json.out()) as {
      ok: boolean;
      files: { diagnostics: { line: number; col: number; code: string }[] }[];
    };
    expect(report.ok).toBe(false);
    expect(report.files[0]?.diagnostics).toContainEqual(
      expect.objectContaining({ line: 10, col: 5, code: 'unknown-key' }),
    );
  });
});
