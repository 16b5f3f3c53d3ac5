/**
 * Tenant files are untrusted input. One file per attack (test/fixtures/config/hostile/), each
 * refused with its diagnostic by `stagegate validate` (exit 2) and by the running service (the tenant
 * is invalid, the instance stays ready), and no secret value, recognisable by its canary, reaches the
 * CLI's output, a log line or /readyz. The redirect attack needs a live server, so it has its own test.
 */
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { tenantEnvPrefix } from '../../src/config/resolve-secrets.js';
import { signLeverWebhook } from '../../src/lever/webhook-signature.js';
import { captureIo } from '../support/capture-io.js';
import { repoRoot } from '../support/load-shipped-tenant.js';
import { createWorkspace, sandboxTenant, startStagegate } from '../support/start-stagegate.js';

const corpus = 'test/fixtures/config/hostile';
const adminToken = 'canary-admin-token-3e9b-0123456789abcdef';
const canaries = {
  ACME__LEVER_API_KEY: 'canary-acme-lever-key-71c4',
  ACME__TOKEN: 'canary-acme-webhook-token-88d2',
  ACME__LEVER__API_KEY: 'canary-acme-nested-key-2f6a',
  env_case__LEVER_API_KEY: 'canary-lower-case-key-9d03',
  STAGEGATE_ADMIN_TOKEN: adminToken,
};
const acmeFileSecret = 'canary-acme-file-secret-4b8e';
/** Written in the fixtures themselves: what a pasted key or a URL password looks like. */
const writtenInFixtures = ['vk_live_canary_inline_5c1d9e', 'canary-url-password-0b7e'];
const passwdLine = readFileSync('/etc/passwd', 'utf8').split('\n')[0] ?? 'root:x:0:0';
const secretValues = [...Object.values(canaries), acmeFileSecret, ...writtenInFixtures, passwdLine];

/** Each attack: the diagnostic that refuses it, at its file:line:col. */
const attacks: { file: string; code: string; line: number; col: number }[] = [
  { file: 'env-other-tenant', code: 'secret-scope', line: 5, col: 11 },
  { file: 'env-admin-token', code: 'secret-scope', line: 7, col: 28 },
  { file: 'env-case', code: 'secret-scope', line: 5, col: 11 },
  { file: 'file-etc-passwd', code: 'secret-scope', line: 5, col: 11 },
  { file: 'file-dev-zero', code: 'secret-scope', line: 5, col: 11 },
  { file: 'file-device-link', code: 'secret-file', line: 5, col: 11 },
  { file: 'file-fifo', code: 'secret-file', line: 5, col: 11 },
  { file: 'file-traversal', code: 'secret-scope', line: 5, col: 11 },
  { file: 'file-symlink-out', code: 'secret-file', line: 5, col: 11 },
  { file: 'lever-unlisted-host', code: 'host-not-allowed', line: 8, col: 12 },
  { file: 'lever-http-remote', code: 'host-not-allowed', line: 8, col: 12 },
  { file: 'lever-credentials', code: 'host-not-allowed', line: 8, col: 12 },
  { file: 'vendor-http', code: 'host-not-allowed', line: 10, col: 12 },
  { file: 'inline-secret', code: 'inline-secret', line: 11, col: 11 },
  { file: 'alias-smuggle', code: 'secret-scope', line: 8, col: 11 },
  { file: 'merge-key', code: 'unknown-key', line: 7, col: 3 },
  { file: 'acme--lever', code: 'schema', line: 3, col: 9 },
];

let secretsDir: string;
let env: Record<string, string>;

/** Every canary, and the start of /etc/passwd, absent from `text`. */
function expectNoSecret(text: string, where: string): void {
  for (const value of secretValues) expect(text.includes(value), `${where} shows a secret`).toBe(false);
}

beforeAll(() => {
  secretsDir = mkdtempSync(join(tmpdir(), 'stagegate-hostile-secrets-'));
  const dirOf = (tenant: string) => {
    mkdirSync(join(secretsDir, tenant), { recursive: true });
    return join(secretsDir, tenant);
  };
  writeFileSync(join(dirOf('acme'), 'lever-api-key'), acmeFileSecret);
  symlinkSync('/dev/zero', join(dirOf('file-device-link'), 'lever-api-key'));
  execFileSync('mkfifo', [join(dirOf('file-fifo'), 'lever-api-key')]);
  symlinkSync(join(secretsDir, 'acme', 'lever-api-key'), join(dirOf('file-symlink-out'), 'lever-api-key'));
  // Each hostile tenant's own secrets are set, so that only its attack is reported.
  const own = Object.fromEntries(
    attacks.flatMap(({ file }) =>
      ['LEVER_API_KEY', 'TOKEN', 'VENDOR_KEY'].map((name) => [
        `${tenantEnvPrefix(file)}${name}`,
        `own-${name}`,
      ]),
    ),
  );
  env = {
    ...own,
    ...canaries,
    STAGEGATE_ALLOWED_HOSTS: '127.0.0.1,vendor.example',
    STAGEGATE_SECRETS_DIR: secretsDir,
  };
});

afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

it('has a test for every fixture, and a fixture for every test', () => {
  const files = readdirSync(join(repoRoot, corpus)).map((name) => name.replace(/\.yaml$/, ''));
  expect(files.sort()).toEqual(attacks.map((a) => a.file).sort());
});

describe('stagegate validate, on each hostile tenant file', () => {
  it.each(attacks)('refuses $file with $code at its line and column, and shows no secret', async (attack) => {
    const path = `${corpus}/${attack.file}.yaml`;
    const io = captureIo({ cwd: repoRoot, env });
    expect(await runCli(['validate', path], io)).toBe(2);
    expect(io.out()).toMatch(
      new RegExp(`^${path}:${attack.line}:${attack.col}: .*\\[${attack.code}\\]$`, 'm'),
    );
    expectNoSecret(io.out() + io.err(), 'validate');

    const json = captureIo({ cwd: repoRoot, env });
    expect(await runCli(['validate', '--json', path], json)).toBe(2);
    expect(JSON.parse(json.out())).toMatchObject({ ok: false });
    expectNoSecret(json.out() + json.err(), 'validate --json');
  });
});

it('validate reports a tenant file that is a FIFO as unreadable, without blocking on it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-hostile-fifo-'));
  try {
    execFileSync('mkfifo', [join(dir, 'fifo-tenant.yaml')]);
    const io = captureIo({ cwd: dir, env });
    expect(await runCli(['validate', 'fifo-tenant.yaml'], io)).toBe(2);
    expect(io.out()).toContain(
      'fifo-tenant.yaml:1:1: the file cannot be read (not a regular file, or no permission) [unreadable-file]',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the service, with every hostile tenant beside a good one', () => {
  let root: string;
  let server: Awaited<ReturnType<typeof startStagegate>>;

  beforeAll(async () => {
    const fixtures = Object.fromEntries(
      attacks.map(({ file }) => [file, readFileSync(join(repoRoot, corpus, `${file}.yaml`), 'utf8')]),
    );
    root = await createWorkspace({ ...fixtures, acme: sandboxTenant('acme', 'http://127.0.0.1:9/v1') });
    // A tenant "file" that is a FIFO is skipped, not read: an open would block the reload.
    execFileSync('mkfifo', [join(root, 'tenants', 'fifo-tenant.yaml')]);
    server = await startStagegate(root, { ...env, LOG_LEVEL: 'trace' });
  });

  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('loads none of them, and stays ready: one tenant’s trouble is not the instance’s', async () => {
    const open = await fetch(`${server.url}/readyz`);
    expect(open.status).toBe(200);
    const body = await open.text();
    expect(JSON.parse(body)).toEqual({
      ready: true,
      store: 'writable',
      configuration: 'loaded',
      tenants: { ready: 1, 'not-ready': 0, invalid: attacks.length },
    });
    // Counts only: no tenant is named to anyone.
    expect(body).not.toContain('acme');
    expectNoSecret(body, 'public /readyz');
  });

  it('tells the operator which diagnostic refused each one, with no secret in it', async () => {
    const answer = await fetch(`${server.url}/readyz`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const body = await answer.text();
    const detail = (
      JSON.parse(body) as { detail: { id: string; status: string; lastError: string | null }[] }
    ).detail;
    const byId = new Map(detail.map((t) => [t.id, t]));
    expect(byId.get('acme')?.status).toBe('ready');
    for (const attack of attacks) {
      const tenant = byId.get(attack.file);
      expect(tenant?.status, attack.file).toBe('invalid');
      expect(tenant?.lastError, attack.file).toMatch(new RegExp(`tenants/${attack.file}\\.yaml:\\d+:\\d+: `));
    }
    expectNoSecret(body, '/readyz with the admin token');

    const status = captureIo({
      cwd: root,
      env: { STAGEGATE_URL: server.url, STAGEGATE_ADMIN_TOKEN: adminToken },
    });
    expect(await runCli(['status', '--json'], status)).toBe(0);
    expect(status.out()).toContain('"invalid"');
    expectNoSecret(status.out() + status.err(), 'stagegate status');
  });

  it('logs each refusal as an error line, and no secret in any line', () => {
    const lines = server.lines.map((line) => JSON.parse(line) as { tenant?: string; problems?: string[] });
    for (const attack of attacks) {
      const refused = lines.find((line) => line.tenant === attack.file && line.problems !== undefined);
      expect(refused?.problems?.join('\n'), attack.file).toContain(`[${attack.code}]`);
    }
    expectNoSecret(server.lines.join('\n'), 'the log');
  });
});

describe('a Lever that answers with a redirect to another host', () => {
  const servers: Server[] = [];
  const listen = async (server: Server) => {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('is an error answer, not followed: the key never reaches the other host', async () => {
    const reachedElsewhere: string[] = [];
    const elsewhere = await listen(
      createServer((req, res) => {
        reachedElsewhere.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
        res.end('{"data":{}}');
      }),
    );
    const asked: string[] = [];
    const lever = await listen(
      createServer((req, res) => {
        asked.push(`${req.method} ${req.url}`);
        // `localhost` is another host than 127.0.0.1, and listed too: a redirect is still not followed.
        res.writeHead(302, { location: `http://localhost:${elsewhere}${req.url ?? '/'}` }).end();
      }),
    );
    const root = await createWorkspace({ acme: sandboxTenant('acme', `http://127.0.0.1:${lever}/v1`) });
    const server = await startStagegate(root, {
      ACME__LEVER_API_KEY: canaries.ACME__LEVER_API_KEY,
      ACME__TOKEN: canaries.ACME__TOKEN,
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1,localhost',
    });
    try {
      const triggeredAt = Date.now();
      const response = await fetch(`${server.url}/webhooks/lever/acme`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          event: 'candidateStageChange',
          triggeredAt,
          token: 'redirect-delivery-1',
          signature: signLeverWebhook(canaries.ACME__TOKEN, 'redirect-delivery-1', triggeredAt),
          data: { opportunityId: 'opp-1', fromStageId: 'stage-phone', toStageId: 'stage-tech' },
        }),
      });
      expect(response.status).toBe(202);
      await server.idle();
      expect(asked.length).toBeGreaterThan(0);
      expect(reachedElsewhere).toEqual([]);
      expectNoSecret(server.lines.join('\n'), 'the log');
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
