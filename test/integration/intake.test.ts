import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLeverWebhook } from '../../src/lever/webhook-signature.js';
import { type RunningServer, startServer } from '../../src/main.js';

const stageToken = 'stage-token-s3cr3t-value';
const rotatedToken = 'rotated-token-0ther-value';
const apiKey = 'lever-api-key-n0t-for-logs';
const hour = 60 * 60 * 1000;
const adminToken = 'intake-admin-token-long-enough-to-be-accepted';

const sandboxTenant = `tenant: sandbox
lever:
  apiKey: { env: SANDBOX__LEVER_API_KEY }
  webhookTokens:
    candidateStageChange: [{ env: SANDBOX__STAGE_TOKEN }, { env: SANDBOX__ROTATED_TOKEN }]
    candidateHired: [{ env: SANDBOX__STAGE_TOKEN }]
provider:
  kind: sandbox
tests:
  "Backend - Python": { providerTestId: "sandbox-python" }
triggers:
  - stage: Technical Screen
    defaultTest: "Backend - Python"
`;
const pendingTenant = sandboxTenant
  .replace('tenant: sandbox', 'tenant: pending')
  .replaceAll('SANDBOX__', 'PENDING__');
// Its secrets are all set, but the file fails validation, and no earlier version of it ever loaded.
const invalidTenant = sandboxTenant
  .replace('tenant: sandbox', 'tenant: invalid')
  .replace('defaultTest:', 'defaultTset:');

let root: string;
let server: RunningServer;
const logLines: string[] = [];

function memoryLog(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line !== ''),
      );
      callback();
    },
  });
}

async function startIn(dir: string, env: Record<string, string>, lines: string[] = []) {
  return startServer({
    cwd: dir,
    env: { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'debug', STAGEGATE_ALLOWED_HOSTS: '127.0.0.1', ...env },
    logDestination: memoryLog(lines),
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stagegate-intake-'));
  await mkdir(join(root, 'tenants'));
  await mkdir(join(root, 'rules'));
  // Tenants use the shipped lifecycle pack unless they say otherwise.
  const pack = 'assessment-lifecycle.yaml';
  await copyFile(resolve(import.meta.dirname, '../../rules', pack), join(root, 'rules', pack));
  await writeFile(join(root, 'tenants', 'sandbox.yaml'), sandboxTenant);
  await writeFile(join(root, 'tenants', 'pending.yaml'), pendingTenant);
  await writeFile(join(root, 'tenants', 'invalid.yaml'), invalidTenant);
  server = await startIn(
    root,
    {
      SANDBOX__LEVER_API_KEY: apiKey,
      SANDBOX__STAGE_TOKEN: stageToken,
      SANDBOX__ROTATED_TOKEN: rotatedToken,
      PENDING__STAGE_TOKEN: stageToken,
      PENDING__ROTATED_TOKEN: rotatedToken,
      STAGEGATE_ADMIN_TOKEN: adminToken,
    },
    logLines,
  );
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

interface Delivery {
  tenant?: string;
  event?: string;
  data?: unknown;
  signatureToken?: string;
  token?: string;
  triggeredAt?: number;
  signature?: string;
}

let sequence = 0;

/** A delivery signed the way Lever signs it, posted as Lever posts it. */
async function deliver(delivery: Delivery = {}) {
  const token = delivery.token ?? `delivery-${++sequence}-${Date.now()}`;
  const triggeredAt = delivery.triggeredAt ?? Date.now();
  const payload = {
    triggeredAt,
    event: delivery.event ?? 'candidateStageChange',
    data: delivery.data ?? { opportunityId: 'opp-1', toStageId: 'stage-2', fromStageId: 'stage-1' },
    signature:
      delivery.signature ?? signLeverWebhook(delivery.signatureToken ?? stageToken, token, triggeredAt),
    token,
  };
  return post(delivery.tenant ?? 'sandbox', JSON.stringify(payload));
}

async function post(tenant: string, body: string, contentType = 'application/json') {
  const response = await fetch(`${server.url}/webhooks/lever/${tenant}`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'user-agent': 'Lever-Webhooks' },
    body,
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('POST /webhooks/lever/:tenant', () => {
  it('accepts a signed delivery once, durably, and answers a redelivery as a duplicate', async () => {
    const token = 'redelivered-token';
    const first = await deliver({ token, data: { opportunityId: 'opp-dup' } });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'accepted', id: expect.any(String) });
    const second = await deliver({ token, data: { opportunityId: 'opp-dup' } });
    expect(second).toEqual({ status: 200, body: { status: 'duplicate' } });
    const inbox = (await server.store.pendingInbox('sandbox')).filter((item) => item.token === token);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ event: 'candidateStageChange', opportunityId: 'opp-dup' });
    expect(JSON.stringify(inbox[0]?.payload)).not.toContain('signature');
  });

  it('accepts a delivery signed with a rotated token', async () => {
    expect((await deliver({ signatureToken: rotatedToken })).status).toBe(202);
  });

  it("answers Lever's test ping with 200 and stores nothing", async () => {
    const token = 'ping-token';
    const result = await deliver({ token, event: 'candidateHired', data: {} });
    expect(result).toEqual({ status: 200, body: { status: 'ping' } });
    const inbox = await server.store.pendingInbox('sandbox');
    expect(inbox.some((item) => item.token === token)).toBe(false);
  });

  it('answers 404 for an unknown tenant', async () => {
    expect(await deliver({ tenant: 'nobody' })).toEqual({ status: 404, body: { error: 'TENANT_UNKNOWN' } });
  });

  it('answers 503 for a tenant with a missing secret', async () => {
    expect(await deliver({ tenant: 'pending' })).toEqual({
      status: 503,
      body: { error: 'TENANT_NOT_READY' },
    });
  });

  it('answers 503 for a tenant with no valid configuration, so that Lever retries', async () => {
    expect(await deliver({ tenant: 'invalid' })).toEqual({
      status: 503,
      body: { error: 'TENANT_NOT_READY' },
    });
    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(
      expect.objectContaining({ code: 'TENANT_NOT_READY', path: '/webhooks/lever/invalid' }),
    );
  });

  it('answers 415 for a body that is not application/json', async () => {
    expect(await post('sandbox', 'a=1', 'application/x-www-form-urlencoded')).toEqual({
      status: 415,
      body: { error: 'UNSUPPORTED_MEDIA_TYPE' },
    });
  });

  it('answers 400 for a body that is not JSON, or not an object', async () => {
    expect(await post('sandbox', '{"event": ')).toEqual({ status: 400, body: { error: 'BAD_JSON' } });
    expect(await post('sandbox', '[1, 2]')).toEqual({ status: 400, body: { error: 'BAD_JSON' } });
  });

  it('answers 413 for a body over 64 KB', async () => {
    const result = await deliver({ data: { opportunityId: 'opp-big', padding: 'x'.repeat(70 * 1024) } });
    expect(result).toEqual({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
  });

  it('answers 401, saying nothing more, for a wrong, missing or forged signature', async () => {
    const unauthorized = { status: 401, body: { error: 'UNAUTHORIZED' } };
    expect(await deliver({ signatureToken: 'not-the-token' })).toEqual(unauthorized);
    expect(await deliver({ signature: '0'.repeat(64) })).toEqual(unauthorized);
    const unsigned = {
      triggeredAt: Date.now(),
      event: 'candidateStageChange',
      data: { opportunityId: 'o' },
      token: 't',
    };
    expect(await post('sandbox', JSON.stringify(unsigned))).toEqual(unauthorized);
  });

  it('answers 401 for an event the tenant has no token for', async () => {
    expect(await deliver({ event: 'candidateDeleted' })).toEqual({
      status: 401,
      body: { error: 'UNAUTHORIZED' },
    });
  });

  it('answers 401 for a delivery older than the replay window or from the future', async () => {
    const unauthorized = { status: 401, body: { error: 'UNAUTHORIZED' } };
    expect(await deliver({ triggeredAt: Date.now() - 73 * hour })).toEqual(unauthorized);
    expect(await deliver({ triggeredAt: Date.now() + hour })).toEqual(unauthorized);
    expect((await deliver({ triggeredAt: Date.now() - 71 * hour })).status).toBe(202);
  });
});

describe('health, readiness and metrics', () => {
  it('GET /healthz answers up', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'up' });
  });

  it('GET /readyz tells anyone only whether this instance is ready, and how many tenants are in each state', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    // An invalid and a not-ready tenant do not make the instance unready.
    expect(await response.json()).toEqual({
      ready: true,
      store: 'writable',
      configuration: 'loaded',
      tenants: { ready: 1, 'not-ready': 1, invalid: 1 },
    });
  });

  it('GET /readyz with the admin token lists every tenant, and what to set for one that is not ready', async () => {
    const response = await fetch(`${server.url}/readyz`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { ready: boolean; detail: Record<string, unknown>[] };
    expect(body.ready).toBe(true);
    expect(body.detail).toEqual([
      {
        id: 'invalid',
        status: 'invalid',
        version: null,
        lastError: expect.stringMatching(/invalid\.yaml:\d+:\d+: .*defaultTset.*\[unknown-key\]/),
        missing: [],
        degraded: null,
      },
      {
        id: 'pending',
        status: 'not-ready',
        version: expect.any(String),
        lastError: expect.any(String),
        missing: [expect.stringContaining('PENDING__LEVER_API_KEY')],
        degraded: null,
      },
      {
        id: 'sandbox',
        status: 'ready',
        version: expect.any(String),
        lastError: null,
        missing: [],
        degraded: null,
      },
    ]);
    const wrong = await fetch(`${server.url}/readyz`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('pending');
  });

  it('GET /readyz answers 503 when the store cannot write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagegate-intake-readyz-'));
    const other = await startIn(dir, {});
    try {
      await other.store.close();
      const response = await fetch(`${other.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        ready: false,
        store: 'failing',
        configuration: 'loaded',
        tenants: { ready: 0, 'not-ready': 0, invalid: 0 },
        reason: 'the store cannot commit (its database or disk is unreachable or failing)',
      });
    } finally {
      await other.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('GET /metrics counts deliveries by tenant, event and outcome', async () => {
    await deliver();
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /stagegate_deliveries_total\{tenant="sandbox",event="candidateStageChange",outcome="accepted"\} \d+/,
    );
    expect(text).toMatch(
      /stagegate_deliveries_total\{tenant="unknown",event="unknown",outcome="tenant_unknown"\} 1/,
    );
    expect(text).toMatch(/stagegate_config_reloads_total\{tenant="sandbox",outcome="loaded"\} 1/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const response = await fetch(`${server.url}/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'NOT_FOUND' });
  });
});

describe('logs', () => {
  it('never contain a configured secret, and log each delivery with its tenant and event', async () => {
    await deliver({ signatureToken: 'wrong' });
    await deliver();
    const text = logLines.join('\n');
    for (const secret of [stageToken, rotatedToken, apiKey]) expect(text).not.toContain(secret);
    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(
      expect.objectContaining({ tenant: 'sandbox', event: 'candidateStageChange', msg: 'delivery accepted' }),
    );
    expect(
      entries.some((entry) => String(entry.msg).startsWith('stagegate listening on http://127.0.0.1:')),
    ).toBe(true);
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 40,
        tenant: 'pending',
        msg: expect.stringContaining('PENDING__LEVER_API_KEY'),
      }),
    );
  });
});

describe('startServer', () => {
  it('refuses an invalid PORT with a message naming PORT', async () => {
    await expect(startIn(root, { PORT: 'abc' })).rejects.toThrow(/PORT must be a port number.*"abc"/);
  });
});
