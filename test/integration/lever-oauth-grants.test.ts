import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { Secret } from '../../src/kernel/secret.js';
import { createLeverTransport } from '../../src/lever/create-lever-transport.js';
import { createOAuthGrants, type OAuthGrants } from '../../src/lever/oauth/create-oauth-grants.js';
import {
  authorizeLink,
  type LeverOAuthApp,
  leverScopes,
  requestToken,
} from '../../src/lever/oauth/oauth-app.js';
import { createBucketRegistry } from '../../src/lever/rate-limit.js';
import { type CredentialVault, createCredentialVault, parseSecretKey } from '../../src/store/credentials.js';
import { createSqliteStore } from '../../src/store/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';

const clock = createManualClock(Date.UTC(2026, 4, 4, 9, 0, 0));
const registered = {
  clientId: 'app-1',
  clientSecret: 'secret-1',
  redirectUri: 'https://sg.example/oauth/lever/callback',
};

let lever: LeverSimulator;
let dir: string;
let store: Store;
let app: LeverOAuthApp;
let grants: OAuthGrants;
let vault: CredentialVault;

beforeEach(async () => {
  lever = await startLeverSimulator({
    apiKeys: [],
    oauth: registered,
    rateLimit: false,
    now: () => clock.now(),
  });
  dir = await mkdtemp(join(tmpdir(), 'stagegate-grants-'));
  store = await createSqliteStore({ dir, clock });
  const key = parseSecretKey('11'.repeat(32));
  if (key === null) throw new Error('key');
  app = {
    clientId: registered.clientId,
    clientSecret: new Secret(registered.clientSecret),
    redirectUri: registered.redirectUri,
    env: 'production',
    authorizeUrl: lever.authorizeUrl,
    tokenUrl: lever.tokenUrl,
    audience: 'https://api.lever.co/v1/',
    scopes: leverScopes,
  };
  vault = createCredentialVault({ store, keys: { current: key, old: null }, clock });
  grants = instance('one');
});

/** An instance's grants: instances with the same store share the tokens and the refresh lease. */
function instance(instanceId: string): OAuthGrants {
  return createOAuthGrants({
    app,
    vault,
    clock,
    log: pino({ level: 'silent' }),
    sleep: async (ms) => clock.advance(ms),
    instanceId,
  });
}

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
  await lever.close();
});

async function connect(tenant: string): Promise<void> {
  const consent = await fetch(authorizeLink(app, `${tenant}.nonce`), { redirect: 'manual' });
  const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code') ?? '';
  await grants.save(
    tenant,
    await requestToken(app, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri }),
  );
}

describe('OAuth grants', () => {
  it('keys the rate limit by the grant: the same bucket before and after a refresh, none shared between tenants', async () => {
    await connect('acme');
    await connect('globex');
    const before = await grants.authFor('acme').credential();
    clock.advance(58 * 60_000);
    const after = await grants.authFor('acme').credential();
    expect(after.authorization).not.toBe(before.authorization);
    expect(after.authorization).toMatch(/^Bearer /);
    expect(after.bucketKey).toBe(before.bucketKey);
    expect(before.bucketKey).not.toContain(before.authorization.slice('Bearer '.length));
    expect((await grants.authFor('globex').credential()).bucketKey).not.toBe(before.bucketKey);
  });

  it('refreshes once for concurrent callers, and a refused grant says it needs reconnecting', async () => {
    await connect('acme');
    clock.advance(58 * 60_000);
    const auth = grants.authFor('acme');
    const [a, b] = await Promise.all([auth.credential(), auth.credential()]);
    expect(a.authorization).toBe(b.authorization);
    // One code exchange, one refresh.
    expect(lever.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(2);

    lever.revokeGrants();
    const refused = await auth.renew?.(a).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: 'LEVER_API',
      details: { needsReconnecting: true, oauthError: 'invalid_grant' },
    });
    const never = await grants
      .authFor('initech')
      .credential()
      .catch((error: unknown) => error);
    expect(never).toMatchObject({ details: { needsReconnecting: true, reason: 'not-connected' } });
  });

  it('sends the token request form-encoded; the simulator refuses JSON, as Lever does', async () => {
    const json = await fetch(lever.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: 'app-1',
        client_secret: 'secret-1',
      }),
    });
    expect(json.status).toBe(400);
    await connect('acme');
    const sent = lever.requests.find((r) => r.path === '/oauth/token' && r.status === 200);
    expect(new URLSearchParams(String(sent?.body)).get('redirect_uri')).toBe(registered.redirectUri);
  });

  it('a 401 to a token another instance has replaced since: retried with the new one, no second refresh', async () => {
    await connect('acme');
    const refreshes = () =>
      lever.requests.filter(
        (r) =>
          r.path === '/oauth/token' &&
          new URLSearchParams(String(r.body)).get('grant_type') === 'refresh_token',
      );
    let arrived: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transport = (of: OAuthGrants, http: typeof fetch = fetch) =>
      createLeverTransport({
        baseUrl: lever.baseUrl,
        auth: of.authFor('acme'),
        clock,
        sleep: async (ms) => clock.advance(ms),
        buckets: createBucketRegistry({ clock, sleep: async () => {} }),
        log: pino({ level: 'silent' }),
        http,
      });
    // Instance two's call goes out with the first token, and its 401 is held until one has refreshed.
    const two = transport(instance('two'), async (url, init) => {
      const response = await fetch(url, init);
      arrived();
      await gate;
      return response;
    });
    lever.fault({ status: 401, method: 'GET', path: /^\/stages$/ });
    lever.fault({ status: 401, method: 'GET', path: /^\/tags$/ });
    const late = two({ method: 'GET', path: '/stages' });
    await answered;
    await transport(grants)({ method: 'GET', path: '/tags' });
    expect(refreshes()).toHaveLength(1);
    release();
    await late;
    expect(refreshes()).toHaveLength(1);
    const stages = lever.requests.filter((r) => r.path === '/stages');
    expect(stages.map((r) => r.status)).toEqual([401, 200]);
    expect((await grants.status('acme'))?.refused).toBeNull();
  });
});
