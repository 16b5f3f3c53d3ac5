import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/main.js';
import { testStoreEnv } from '../support/open-store.js';
import { sandboxTenant } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const adminToken = 'admin-token-for-public-url-tests-0123456789';
let world: World;
let server: RunningServer | undefined;

beforeEach(async () => {
  world = await startWorld(['acme']);
  // A sandbox tenant beside the partner one: the sandbox never calls back.
  await writeFile(join(world.root, 'tenants', 'demo.yaml'), sandboxTenant('demo', world.lever.baseUrl));
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await world.close();
});

async function start(env: Record<string, string>): Promise<RunningServer> {
  server = await startServer({
    cwd: world.root,
    env: {
      PORT: '0',
      LOG_LEVEL: 'silent',
      ...testStoreEnv(world.root),
      DEMO__LEVER_API_KEY: 'demo-key',
      DEMO__TOKEN: 'demo-token',
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
      STAGEGATE_ADMIN_TOKEN: adminToken,
      ...world.env,
      ...env,
    },
    sleep: async () => {},
  });
  return server;
}

async function readiness(url: string) {
  // Which tenants, and what they miss, is the operator's view.
  const response = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${adminToken}` } });
  const body = (await response.json()) as {
    ready: boolean;
    detail: { id: string; status: string; missing: string[] }[];
  };
  return { status: response.status, ...body, byId: Object.fromEntries(body.detail.map((t) => [t.id, t])) };
}

const deliver = (url: string) =>
  world.lever.deliverWebhook({
    url: `${url}/webhooks/lever/acme`,
    event: 'candidateStageChange',
    data: { opportunityId: 'opp-1', toStageId: 'stage-tech', fromStageId: 'stage-phone' },
    signatureToken: world.env.ACME__TOKEN ?? '',
  });

describe('STAGEGATE_PUBLIC_URL: the address a vendor calls back', () => {
  it('unset while listening on 0.0.0.0: the partner tenant is not ready, saying what to set; the sandbox tenant serves', async () => {
    const running = await start({ HOST: '0.0.0.0' });
    const url = running.url.replace('0.0.0.0', '127.0.0.1');
    const ready = await readiness(url);
    expect(ready.status).toBe(200);
    expect(ready.byId.demo).toMatchObject({ status: 'ready', missing: [] });
    expect(ready.byId.acme?.status).toBe('not-ready');
    expect(ready.byId.acme?.missing).toEqual([
      expect.stringMatching(
        /^STAGEGATE_PUBLIC_URL is not set, .*HOST 0\.0\.0\.0.*: set STAGEGATE_PUBLIC_URL to the https address/,
      ),
    ]);
    // Not ready: Lever's delivery is answered 503 (Lever retries), and nothing reaches the vendor.
    expect((await deliver(url)).status).toBe(503);
    expect(world.vendor.sends()).toEqual([]);
  });

  it('plain http to a host that is not loopback: not ready either', async () => {
    const running = await start({ HOST: '127.0.0.1', STAGEGATE_PUBLIC_URL: 'http://stagegate.example.com' });
    const ready = await readiness(running.url);
    expect(ready.byId.acme?.status).toBe('not-ready');
    expect(ready.byId.acme?.missing.join('\n')).toContain('http://stagegate.example.com is not https');
    expect(ready.byId.demo?.status).toBe('ready');
  });

  it('https: the invitation carries it as the callback address', async () => {
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech', emails: ['ada@example.com'] });
    const running = await start({
      HOST: '127.0.0.1',
      STAGEGATE_PUBLIC_URL: 'https://stagegate.example.com/',
    });
    expect((await readiness(running.url)).byId.acme).toMatchObject({ status: 'ready', missing: [] });
    expect((await deliver(running.url)).status).toBe(202);
    await running.idle();
    const [send] = world.vendor.sends();
    expect(String(send?.body.url)).toMatch(
      /^https:\/\/stagegate\.example\.com\/callbacks\/assessments\/acme\//,
    );
  });
});
