import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { createCredentialVault, parseSecretKey } from '../../src/store/credentials.js';
import { captureIo } from '../support/capture-io.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { testDatabaseUrl, testStoreEnv, testStoreKind } from '../support/open-store.js';
import { createWorkspace, sandboxTenant } from '../support/start-stagegate.js';

const adminToken = 'admin-token-for-the-oauth-tests-0123456789';
const minute = 60_000;
const clock = createManualClock(Date.UTC(2026, 4, 4, 9, 0, 0));
const app = {
  clientId: 'stagegate-app',
  clientSecret: 'client-secret-5f1e-never-logged',
  // Registered once; the tests follow Lever's redirect to the server's own address by hand.
  redirectUri: 'https://stagegate.example/oauth/lever/callback',
};

let lever: LeverSimulator;
let root: string;

/** Tenants on OAuth: no API key, no signature token, only the Lever base URL (the simulator). */
function oauthTenant(id: string): string {
  return sandboxTenant(id, lever.baseUrl).replace(
    /lever:\n( {2}[^\n]*\n)+?(?= {2}baseUrl)/,
    'lever:\n  auth: oauth\n',
  );
}

beforeEach(async () => {
  clock.set(Date.UTC(2026, 4, 4, 9, 0, 0));
  lever = await startLeverSimulator({ apiKeys: [], oauth: app, rateLimit: false, now: () => clock.now() });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  root = await createWorkspace({ acme: oauthTenant('acme'), globex: oauthTenant('globex') });
});

afterEach(() => lever.close());

/** Everything the store holds, as text: its files, or on PostgreSQL every record of the service's schema. */
async function storedText(): Promise<string> {
  if (testStoreKind !== 'postgres') {
    const files = testStoreKind === 'sqlite' ? ['stagegate.sqlite'] : ['acme.json'];
    return (await Promise.all(files.map((f) => readFile(join(root, 'data', f))))).join('');
  }
  const client = new pg.Client({ connectionString: testDatabaseUrl(join(root, 'data')) });
  await client.connect();
  try {
    const tables = ['credentials', 'inbox', 'decisions', 'actions', 'invitations'];
    const { rows } = await client.query(
      tables.map((t) => `SELECT record::text AS row FROM ${t}`).join(' UNION ALL '),
    );
    expect(rows.length).toBeGreaterThan(0);
    return rows.map((row) => row.row as string).join('\n');
  } finally {
    await client.end();
  }
}

interface Started extends RunningServer {
  logged: string[];
}

/** The hold lets a test look while the worker waits to retry; each wait moves the clock. */
let hold: Promise<void> | null = null;
async function start(): Promise<Started> {
  const logged: string[] = [];
  const server = await startServer({
    cwd: root,
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'debug',
      ...testStoreEnv(root),
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
      STAGEGATE_ADMIN_TOKEN: adminToken,
      STAGEGATE_LEVER_CLIENT_ID: app.clientId,
      STAGEGATE_LEVER_CLIENT_SECRET: app.clientSecret,
      STAGEGATE_LEVER_REDIRECT_URI: app.redirectUri,
      STAGEGATE_LEVER_AUTHORIZE_URL: lever.authorizeUrl,
      STAGEGATE_LEVER_TOKEN_URL: lever.tokenUrl,
      STAGEGATE_SECRET_KEY: 'c0ffee'.repeat(11).slice(0, 64),
    },
    clock,
    logDestination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logged.push(...chunk.toString().split('\n').filter(Boolean));
        callback();
      },
    }),
    sleep: async (ms) => {
      await hold;
      clock.advance(ms);
    },
  });
  return Object.assign(server, { logged });
}

async function cli(server: RunningServer, argv: string[]) {
  const io = captureIo({
    cwd: root,
    env: {
      STAGEGATE_URL: server.url,
      STAGEGATE_ADMIN_TOKEN: adminToken,
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
    },
  });
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** `stagegate connect`, then the Super Admin's browser: Lever's consent page, and its redirect back. */
async function connectLink(server: RunningServer, tenant = 'acme'): Promise<URL> {
  const printed = await cli(server, ['connect', '--tenant', tenant, '--json']);
  expect(printed).toMatchObject({ code: 0, err: '' });
  const { link } = JSON.parse(printed.out) as { link: string };
  const consent = await fetch(link, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  const back = new URL(consent.headers.get('location') ?? '');
  expect(`${back.origin}${back.pathname}`).toBe(app.redirectUri);
  return new URL(`${server.url}${back.pathname}${back.search}`);
}

async function connect(server: RunningServer, tenant = 'acme'): Promise<void> {
  const answer = await fetch(await connectLink(server, tenant));
  expect(await answer.text()).toContain('Connected');
  expect(answer.status).toBe(200);
}

const moveToTechnicalScreen = (opportunityId: string, token?: string) =>
  lever.deliverRegistered({
    event: 'candidateStageChange',
    data: { opportunityId, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
    triggeredAt: clock.now(),
    ...(token ? { token } : {}),
  });

const tokenRequests = () => lever.requests.filter((r) => r.path === '/oauth/token');

async function readiness(url: string) {
  const response = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${adminToken}` } });
  const body = (await response.json()) as { detail: { id: string; degraded: { reason: string } | null }[] };
  return body.detail.find((tenant) => tenant.id === 'acme');
}

describe('connecting a tenant with OAuth', () => {
  it('connects in two clicks: tokens stored sealed, webhooks registered, a signed stage change sends the test', async () => {
    const candidate = lever.addOpportunity({ name: 'Ada Lovelace', stageId: 'stage-tech' });
    const server = await start();
    try {
      await connect(server);
      const webhooks = lever.webhooks();
      expect(webhooks.map((w) => w.event).sort()).toEqual([
        'candidateArchiveChange',
        'candidateDeleted',
        'candidateHired',
        'candidateStageChange',
      ]);
      for (const webhook of webhooks) expect(webhook.url).toBe(`${server.url}/webhooks/lever/acme`);
      // The token request was form-encoded, with the code and the registered redirect URI.
      expect(tokenRequests()).toHaveLength(1);
      expect(new URLSearchParams(String(tokenRequests()[0]?.body)).get('grant_type')).toBe(
        'authorization_code',
      );

      const [delivered] = await moveToTechnicalScreen(candidate.id);
      expect(delivered?.status).toBe(202);
      await server.idle();
      expect(lever.getOpportunity(candidate.id)?.tags).toEqual(['Hired Assessments - Sent']);
      expect(await server.store.listInvitations({ tenant: 'acme' })).toHaveLength(1);
      // Every API call went with the Bearer token, none with a key.
      const apiCalls = lever.requests.filter((r) => r.path.startsWith('/opportunities'));
      expect(apiCalls.length).toBeGreaterThan(0);
      expect(apiCalls.every((r) => r.apiKey === null)).toBe(true);

      // A delivery signed with another token, or for the other tenant's URL, is refused.
      const forged = await lever.deliverWebhook({
        url: `${server.url}/webhooks/lever/acme`,
        event: 'candidateStageChange',
        data: { opportunityId: candidate.id },
        signatureToken: 'not-the-issued-token',
      });
      expect(forged.status).toBe(401);
      const elsewhere = await lever.deliverWebhook({
        url: `${server.url}/webhooks/lever/globex`,
        event: 'candidateStageChange',
        data: { opportunityId: candidate.id },
        signatureToken: webhooks[0]?.signatureToken ?? '',
      });
      expect(elsewhere.status).toBe(401);
      // The event is labelled in /metrics, though no token for it is in the tenant's file.
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain(
        'stagegate_deliveries_total{tenant="acme",event="candidateStageChange",outcome="accepted"} 1',
      );
      expect(metrics).toContain(
        'stagegate_deliveries_total{tenant="acme",event="candidateStageChange",outcome="unauthorized"} 1',
      );
      expect(metrics).not.toMatch(/stagegate_deliveries_total\{tenant="acme",event="unknown"/);

      // No token and no client secret in a log line, nor in the store's files.
      const secrets = [app.clientSecret, ...webhooks.map((w) => w.signatureToken)];
      for (const line of server.logged) for (const value of secrets) expect(line).not.toContain(value);
      await server.close();
      const disk = await storedText();
      for (const value of secrets) expect(disk).not.toContain(value);
    } finally {
      await server.close();
    }
  });

  it('is idempotent: connecting again updates the same webhooks, and their tokens still verify', async () => {
    const candidate = lever.addOpportunity({ stageId: 'stage-tech' });
    const server = await start();
    try {
      await connect(server);
      const before = lever.webhooks();
      await connect(server);
      expect(lever.webhooks()).toEqual(before);
      expect(
        lever.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/webhooks/')),
      ).toHaveLength(4);
      expect(lever.requests.filter((r) => r.method === 'POST' && r.path === '/webhooks')).toHaveLength(4);
      const [delivered] = await moveToTechnicalScreen(candidate.id);
      expect(delivered?.status).toBe(202);
    } finally {
      await server.close();
    }
  });

  it('refreshes the access token before it expires, and keeps the rotated refresh token', async () => {
    const first = lever.addOpportunity({ stageId: 'stage-tech' });
    const second = lever.addOpportunity({ stageId: 'stage-tech' });
    const server = await start();
    try {
      await connect(server);
      clock.advance(56 * minute); // 4 minutes left of the hour: inside the 5 minutes ahead
      expect((await moveToTechnicalScreen(first.id))[0]?.status).toBe(202);
      await server.idle();
      const refreshes = () =>
        tokenRequests().filter(
          (r) => new URLSearchParams(String(r.body)).get('grant_type') === 'refresh_token',
        );
      expect(refreshes()).toHaveLength(1);
      // The simulator's refresh tokens rotate: a second refresh works only with the one stored last.
      clock.advance(56 * minute);
      expect((await moveToTechnicalScreen(second.id))[0]?.status).toBe(202);
      await server.idle();
      expect(refreshes()).toHaveLength(2);
      expect(refreshes().every((r) => r.status === 200)).toBe(true);
      expect(lever.getOpportunity(second.id)?.tags).toEqual(['Hired Assessments - Sent']);
    } finally {
      await server.close();
    }
  });

  it('after a 401 to a token not yet expired, refreshes once and tries the call again', async () => {
    const candidate = lever.addOpportunity({ stageId: 'stage-tech' });
    const server = await start();
    try {
      await connect(server);
      lever.dropAccessTokens();
      expect((await moveToTechnicalScreen(candidate.id))[0]?.status).toBe(202);
      await server.idle();
      const reads = lever.requests.filter((r) => r.path === `/opportunities/${candidate.id}`);
      expect(reads.map((r) => r.status)).toEqual([401, 200]);
      expect(tokenRequests().map((r) => new URLSearchParams(String(r.body)).get('grant_type'))).toEqual([
        'authorization_code',
        'refresh_token',
      ]);
      expect(lever.getOpportunity(candidate.id)?.tags).toEqual(['Hired Assessments - Sent']);
    } finally {
      await server.close();
    }
  });

  describe('a 401 to a call with an access token', () => {
    const refreshes = () =>
      tokenRequests().filter(
        (r) => new URLSearchParams(String(r.body)).get('grant_type') === 'refresh_token',
      );
    const reads = (id: string) =>
      lever.requests
        .filter((r) => r.path === `/opportunities/${id}` && r.method === 'GET')
        .map((r) => r.status);

    /** The grant's `refused` mark as the store holds it (every instance reads it there). */
    async function storedRefusal(server: Started) {
      const key = parseSecretKey('c0ffee'.repeat(11).slice(0, 64));
      if (key === null) throw new Error('test key');
      const vault = createCredentialVault({ store: server.store, keys: { current: key, old: null }, clock });
      return (await vault.read<{ refused?: { reason: string } }>('acme', 'lever-oauth'))?.refused ?? null;
    }

    /** The worker's retries wait on the hold: the test looks while the delivery is still pending. */
    async function refusalWhileHeld(server: Started) {
      await vi.waitFor(async () => expect(await storedRefusal(server)).not.toBeNull(), {
        timeout: 10_000,
        interval: 5,
      });
      return storedRefusal(server);
    }

    it('a stray 401: refreshes once, the call succeeds with the new token, and the grant is kept', async () => {
      const candidate = lever.addOpportunity({ stageId: 'stage-tech' });
      const server = await start();
      try {
        await connect(server);
        lever.fault({ status: 401, method: 'GET', path: /^\/opportunities\/[^/]+$/ });
        lever.fault({ status: 401, method: 'POST', path: /\/addTags$/ });
        expect((await moveToTechnicalScreen(candidate.id))[0]?.status).toBe(202);
        await server.idle();
        expect(reads(candidate.id)).toEqual([401, 200]);
        expect(refreshes().map((r) => r.status)).toEqual([200, 200]);
        expect(lever.getOpportunity(candidate.id)?.tags).toEqual(['Hired Assessments - Sent']);
        expect(await server.pipeline.degradedShown('acme')).toBeNull();
        expect(await storedRefusal(server)).toBeNull();
        expect(server.logged.some((line) => line.includes('is degraded'))).toBe(false);
        const status = await cli(server, ['status']);
        expect(status.out).not.toContain('needs reconnecting');
      } finally {
        await server.close();
      }
    });

    it('the refreshed token refused too: the grant is refused after one refresh and one more try', async () => {
      const candidate = lever.addOpportunity({ stageId: 'stage-tech' });
      let release: () => void = () => {};
      const server = await start();
      try {
        await connect(server);
        lever.refuseAccessTokens();
        hold = new Promise<void>((resolve) => {
          release = resolve;
        });
        expect((await moveToTechnicalScreen(candidate.id))[0]?.status).toBe(202);
        expect((await refusalWhileHeld(server))?.reason).toMatch(/^needs reconnecting: .*401/);
        expect((await server.pipeline.degradedShown('acme'))?.reason).toMatch(/^needs reconnecting/);
        expect(reads(candidate.id)).toEqual([401, 401]);
        expect(refreshes().map((r) => r.status)).toEqual([200]);
        expect((await server.store.pendingInbox('acme')).map((item) => item.event)).toEqual([
          'candidateStageChange',
        ]);
      } finally {
        hold = null;
        release();
        await server.close();
      }
    });

    it('the refresh after a 401 answers invalid_grant: the grant is refused, the call not tried again', async () => {
      const candidate = lever.addOpportunity({ stageId: 'stage-tech' });
      let release: () => void = () => {};
      const server = await start();
      try {
        await connect(server);
        lever.dropAccessTokens();
        lever.expireRefreshTokens();
        hold = new Promise<void>((resolve) => {
          release = resolve;
        });
        expect((await moveToTechnicalScreen(candidate.id))[0]?.status).toBe(202);
        expect((await refusalWhileHeld(server))?.reason).toMatch(/^needs reconnecting: .*invalid_grant/);
        expect(reads(candidate.id)).toEqual([401]);
        expect(refreshes().map((r) => r.status)).toEqual([403]);
        expect((await server.store.pendingInbox('acme')).map((item) => item.event)).toEqual([
          'candidateStageChange',
        ]);
      } finally {
        hold = null;
        release();
        await server.close();
      }
    });

    it('the refresh after a 401 answers 401 itself (not invalid_grant): the delivery waits, the grant is not marked refused', async () => {
      const candidate = lever.addOpportunity({ stageId: 'stage-tech' });
      let release: () => void = () => {};
      const server = await start();
      try {
        await connect(server);
        lever.dropAccessTokens();
        // The token endpoint refuses the app, not the grant (OAuth's invalid_client answers 401).
        lever.fault({ status: 401, path: /^\/oauth\/token$/, times: 1 });
        hold = new Promise<void>((resolve) => {
          release = resolve;
        });
        expect((await moveToTechnicalScreen(candidate.id))[0]?.status).toBe(202);
        await vi.waitFor(() => expect(server.pipeline.degraded.get('acme')).not.toBeNull(), {
          timeout: 10_000,
          interval: 5,
        });
        expect(await storedRefusal(server)).toBeNull();
        expect(reads(candidate.id)).toEqual([401]);
        expect((await server.store.pendingInbox('acme')).map((item) => item.event)).toEqual([
          'candidateStageChange',
        ]);
        // The next try refreshes (the token endpoint answers again) and the delivery goes through.
        hold = null;
        release();
        await server.idle();
        // A grant marked refused would have stopped the next try without calling Lever.
        expect(await storedRefusal(server)).toBeNull();
        expect(lever.getOpportunity(candidate.id)?.tags).toEqual(['Hired Assessments - Sent']);
        expect(await server.pipeline.degradedShown('acme')).toBeNull();
      } finally {
        hold = null;
        release();
        await server.close();
      }
    });
  });

  it('a grant without the webhooks scope: the callback answers not connected and registers nothing', async () => {
    lever.grantScopes([
      'offline_access',
      'opportunities:write:admin',
      'notes:write:admin',
      'stages:read:admin',
    ]);
    const server = await start();
    try {
      const answer = await fetch(await connectLink(server));
      expect(answer.status).toBe(502);
      const page = await answer.text();
      expect(page).toContain('Not connected');
      expect(page).toContain(
        'Lever granted access without tags:read:admin, postings:read:admin, webhooks:write:admin, so stagegate could not register its webhooks.',
      );
      expect(lever.webhooks()).toEqual([]);
      expect(lever.requests.some((r) => r.path === '/webhooks' && r.status === 403)).toBe(true);
      // check names each scope missing and what the tenant loses without it.
      const checked = await cli(server, ['check', '--tenant', 'acme', '--json']);
      expect(checked.code).toBe(1);
      const scopes = (
        JSON.parse(checked.out) as { checks: { check: string; status: string; message: string }[] }
      ).checks.find((c) => c.check === 'lever scopes');
      expect(scopes).toMatchObject({ status: 'failed' });
      expect(scopes?.message).toContain(
        'webhooks:write:admin (webhooks cannot be registered, so no delivery arrives)',
      );
      expect(scopes?.message).toContain('postings:read:admin (posting titles cannot be read');
    } finally {
      await server.close();
    }
  });

  it('a revoked grant: needs reconnecting, deliveries wait in the inbox, and connecting again heals it', async () => {
    const candidate = lever.addOpportunity({ stageId: 'stage-tech' });
    let release: () => void = () => {};
    const server = await start();
    try {
      await connect(server);
      lever.revokeGrants();
      hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      expect((await moveToTechnicalScreen(candidate.id))[0]?.status).toBe(202);
      for (let i = 0; i < 50 && (await readiness(server.url))?.degraded == null; i++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect((await readiness(server.url))?.degraded?.reason).toMatch(/^needs reconnecting: .*invalid_grant/);
      const status = await cli(server, ['status']);
      expect(status.out).toMatch(/acme\s+ready, degraded/);
      expect(status.out).toContain('needs reconnecting');
      expect((await server.store.pendingInbox('acme')).map((item) => item.event)).toEqual([
        'candidateStageChange',
      ]);

      await connect(server);
      expect((await readiness(server.url))?.degraded).toBeNull();
      hold = null;
      release();
      await server.idle();
      expect(await server.store.pendingInbox('acme')).toEqual([]);
      expect(lever.getOpportunity(candidate.id)?.tags).toEqual(['Hired Assessments - Sent']);
    } finally {
      hold = null;
      release();
      await server.close();
    }
  });

  it('disconnect deletes the webhooks it registered and forgets the tokens', async () => {
    const candidate = lever.addOpportunity({ stageId: 'stage-tech' });
    const server = await start();
    try {
      await connect(server);
      const tokens = lever.webhooks().map((w) => w.signatureToken);
      const done = await cli(server, ['disconnect', '--tenant', 'acme']);
      expect(done).toMatchObject({ code: 0, err: '' });
      expect(done.out).toContain('4 webhook(s) deleted');
      expect(lever.webhooks()).toEqual([]);
      const late = await lever.deliverWebhook({
        url: `${server.url}/webhooks/lever/acme`,
        event: 'candidateStageChange',
        data: { opportunityId: candidate.id },
        signatureToken: tokens[0] ?? '',
      });
      expect(late.status).toBe(401);
      expect(await server.store.getCredential('acme', 'lever-oauth')).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('stagegate check on an OAuth tenant', () => {
  it('asks the service: the grant works, every scope is granted, each webhook points here, the trigger stages exist; a revoked grant fails', async () => {
    // globex names a stage Lever does not have.
    await writeFile(
      join(root, 'tenants', 'globex.yaml'),
      oauthTenant('globex').replace('stage: Technical Screen', 'stage: Technical Scren'),
    );
    const server = await start();
    try {
      const before = await cli(server, ['check', '--tenant', 'acme', '--json']);
      expect(before.code).toBe(1);
      const notConnected = (JSON.parse(before.out) as { checks: { check: string; status: string }[] }).checks;
      expect(notConnected.find((c) => c.check === 'lever connection')?.status).toBe('failed');
      expect(notConnected.find((c) => c.check.startsWith('trigger stage'))).toMatchObject({
        status: 'skipped',
        message: 'not checked: not connected to Lever',
      });

      await connect(server);
      const after = await cli(server, ['check', '--tenant', 'acme', '--json']);
      const checks = (
        JSON.parse(after.out) as { checks: { check: string; status: string; message: string }[] }
      ).checks;
      expect(
        checks.filter(
          (c) =>
            c.check.startsWith('lever') || c.check.startsWith('webhook') || c.check.startsWith('trigger'),
        ),
      ).toEqual([
        {
          check: 'lever connection',
          status: 'ok',
          message: expect.stringMatching(/^Lever accepts the grant/),
        },
        { check: 'lever scopes', status: 'ok', message: expect.stringContaining('postings:read:admin') },
        ...['candidateStageChange', 'candidateArchiveChange', 'candidateHired', 'candidateDeleted'].map(
          (event) => ({
            check: `webhook ${event}`,
            status: 'ok',
            message: `registered, delivering to ${server.url}/webhooks/lever/acme`,
          }),
        ),
        {
          check: "trigger stage 'Technical Screen'",
          status: 'ok',
          message: "exists in Lever as 'Technical Screen' (stage-tech)",
        },
      ]);
      expect(after.code).toBe(0);

      await connect(server, 'globex');
      const misnamed = await cli(server, ['check', '--tenant', 'globex', '--json']);
      expect(misnamed.code).toBe(1);
      const stageCheck = (
        JSON.parse(misnamed.out) as { checks: { check: string; status: string; fix?: string }[] }
      ).checks.find((c) => c.check.startsWith('trigger stage'));
      expect(stageCheck).toMatchObject({
        check: "trigger stage 'Technical Scren'",
        status: 'failed',
        fix: expect.stringContaining("did you mean 'Technical Screen'?"),
      });

      lever.revokeGrants();
      const revoked = await cli(server, ['check', '--tenant', 'acme', '--json']);
      expect(revoked.code).toBe(1);
      const failed = (
        JSON.parse(revoked.out) as { checks: { check: string; status: string; message: string }[] }
      ).checks;
      expect(failed.find((c) => c.check === 'lever connection')).toMatchObject({
        status: 'failed',
        message: expect.stringMatching(/invalid_grant/),
      });
    } finally {
      await server.close();
    }
  });
});

describe('the callback refuses a state it did not issue', () => {
  it('says what is wrong with a forged, replayed, replaced, expired or re-targeted state, storing nothing', async () => {
    const server = await start();
    try {
      const pages: string[] = [];
      const refusedWith = async (url: URL, text: RegExp) => {
        const answer = await fetch(url);
        const page = await answer.text();
        pages.push(page);
        expect(answer.status).toBe(401);
        expect(page).toMatch(text);
        // No state, code or token is echoed back.
        for (const value of [url.searchParams.get('state'), url.searchParams.get('code')]) {
          if (value) expect(page).not.toContain(value);
        }
      };
      const forged = await connectLink(server);
      forged.searchParams.set('state', `acme.${'A'.repeat(43)}`);
      await refusedWith(forged, /not issued by this service/);
      const legacy = await connectLink(server);
      legacy.searchParams.set('state', 'acme');
      await refusedWith(legacy, /not issued by this service/);

      const used = await connectLink(server);
      expect((await fetch(used)).status).toBe(200);
      await refusedWith(used, /used already/); // replayed

      const older = await connectLink(server);
      const newer = await connectLink(server);
      await refusedWith(older, /newer connect link was issued/);

      // The link for acme, its state rewritten to name globex: a callback for another tenant.
      const rewritten = new URL(newer);
      rewritten.searchParams.set(
        'state',
        (newer.searchParams.get('state') ?? '').replace(/^acme\./, 'globex.'),
      );
      await refusedWith(rewritten, /issued for another tenant than the one it names/);
      expect(await server.store.getCredential('globex', 'lever-oauth')).toBeUndefined();
      expect(await server.store.getCredential('globex', 'lever-webhooks')).toBeUndefined();
      for (const page of pages) expect(page).not.toContain('acme');

      const late = await connectLink(server, 'globex');
      clock.advance(11 * minute);
      await refusedWith(late, /expired \(links last 10 minutes\)/);
      expect(await server.store.getCredential('globex', 'lever-oauth')).toBeUndefined();
      // Lever was asked for a token once: for the one link that was good.
      expect(tokenRequests()).toHaveLength(1);
      const refusals = server.logged
        .map((line) => JSON.parse(line) as { msg: string; reason?: string })
        .filter((line) => line.msg === 'lever oauth: callback refused')
        .map((line) => line.reason);
      expect(refusals).toEqual(['forged', 'forged', 'replayed', 'replaced', 'tenant-mismatch', 'expired']);
    } finally {
      await server.close();
    }
  });

  it('of two callbacks with one state at once, one connects and the other is told the link was used', async () => {
    const server = await start();
    try {
      const link = await connectLink(server);
      const answers = await Promise.all([fetch(link), fetch(link)]);
      const pages = await Promise.all(answers.map((answer) => answer.text()));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
      expect(pages.filter((page) => page.includes('Connected'))).toHaveLength(1);
      expect(pages.filter((page) => page.includes('used already'))).toHaveLength(1);
      expect(tokenRequests()).toHaveLength(1);
      expect(lever.webhooks()).toHaveLength(4);
    } finally {
      await server.close();
    }
  });

  it('a pending link stored before links were sealed (another record shape) does not stop a new one', async () => {
    const server = await start();
    try {
      const key = parseSecretKey('c0ffee'.repeat(11).slice(0, 64));
      if (key === null) throw new Error('test key');
      const vault = createCredentialVault({ store: server.store, keys: { current: key, old: null }, clock });
      await vault.write('acme', 'lever-connect-state', {
        nonce: 'n'.repeat(43),
        expiresAt: clock.now() + minute,
      });
      await connect(server);
      expect(lever.webhooks()).toHaveLength(4);
    } finally {
      await server.close();
    }
  });

  it('Lever denied access: the page says so, the link is used up, nothing is stored, and a new link works', async () => {
    const server = await start();
    try {
      lever.declineConsent();
      const denied = await connectLink(server);
      expect(denied.searchParams.get('error')).toBe('access_denied');
      expect(denied.searchParams.has('code')).toBe(false);
      const answer = await fetch(denied);
      expect(answer.status).toBe(401);
      const page = await answer.text();
      expect(page).toContain('Not connected');
      expect(page).toContain('Lever did not grant access (access_denied)');
      expect(await server.store.getCredential('acme', 'lever-oauth')).toBeUndefined();
      expect(lever.webhooks()).toEqual([]);
      expect(tokenRequests()).toHaveLength(0);
      const again = await fetch(denied);
      expect(await again.text()).toContain('used already');

      await connect(server);
      expect(lever.webhooks()).toHaveLength(4);
    } finally {
      await server.close();
    }
  });
});
