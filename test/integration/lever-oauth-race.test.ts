// Two instances of stagegate on one PostgreSQL database, both serving one OAuth tenant, whose access
// token runs out for both at once. Lever's refresh tokens rotate (the simulator refuses a used one
// with invalid_grant, as Lever does), so if both refreshed with the same refresh token, one would
// find the grant refused and mark the tenant as needing reconnecting. The grant's compare-and-swap
// lease makes one of them refresh and the other use its tokens. Then two real services on one
// database: connected through one, serving the tenant's deliveries on both, each using the other's
// refreshed tokens. Last, a grant Lever refuses as one instance sees it: the other shows the tenant
// as needing reconnecting from the store, without calling Lever, and a reconnect clears it on both.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { Secret } from '../../src/kernel/secret.js';
import { createOAuthGrants, type OAuthGrants } from '../../src/lever/oauth/create-oauth-grants.js';
import {
  authorizeLink,
  type LeverOAuthApp,
  leverScopes,
  requestToken,
} from '../../src/lever/oauth/oauth-app.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { createCredentialVault, parseSecretKey } from '../../src/store/credentials.js';
import { createPostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import type { Store } from '../../src/store/types.js';
import { captureIo } from '../support/capture-io.js';
import { signIn } from '../support/console-client.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { postgresRequired, usePostgresDatabase } from '../support/postgres-test-database.js';
import { databaseUrlForDir } from '../support/schema-for-dir.js';
import { createWorkspace, sandboxTenant, startStagegate } from '../support/start-stagegate.js';

const database = await usePostgresDatabase('lever-oauth-race.test.ts');
const clock = createManualClock(Date.UTC(2026, 4, 4, 9, 0, 0));
const minute = 60_000;
const registered = {
  clientId: 'app-race',
  clientSecret: 'secret-race',
  redirectUri: 'https://sg.example/oauth/lever/callback',
};
const key = parseSecretKey('22'.repeat(32));

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}
function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** One instance: its own store (pool) on the shared database, its own grants, its own waits. */
interface Instance {
  name: string;
  store: Store;
  grants: OAuthGrants;
  /** Resolved when it waits for the other instance, or asks Lever for a token. */
  arrived: Deferred;
  /** Resolved when its credential() has settled. */
  settled: Deferred;
  tokenRequests: number;
  sleeps: number;
}

let lever: LeverSimulator;
let app: LeverOAuthApp;
let schema: string;
let opened: Store[] = [];
let schemaCount = 0;

beforeEach(async () => {
  clock.set(Date.UTC(2026, 4, 4, 9, 0, 0));
  lever = await startLeverSimulator({
    apiKeys: [],
    oauth: registered,
    rateLimit: false,
    now: () => clock.now(),
  });
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
  schema = `oauth_race_${++schemaCount}`;
  opened = [];
});

afterEach(async () => {
  for (const store of opened) await store.close();
  await lever.close();
});

/**
 * With `gate`, its token request waits until the other instance has arrived too (it waits, or it
 * asks Lever as well), so the two refreshes overlap for certain, and its waits last until the other
 * is done. Without, a wait moves the clock on by its length, as the service's sleep does in tests.
 */
async function instance(
  name: string,
  options: { gate?: () => Instance; http?: typeof fetch } = {},
): Promise<Instance> {
  if (key === null) throw new Error('test key');
  const store = await createPostgresStore({ url: database?.url ?? '', schema, clock });
  opened.push(store);
  const self: Instance = {
    name,
    store,
    grants: undefined as unknown as OAuthGrants,
    arrived: deferred(),
    settled: deferred(),
    tokenRequests: 0,
    sleeps: 0,
  };
  self.grants = createOAuthGrants({
    app,
    vault: createCredentialVault({ store, keys: { current: key, old: null }, clock }),
    clock,
    log: pino({ level: 'silent' }),
    instanceId: name,
    http: async (input, init) => {
      self.tokenRequests += 1;
      self.arrived.resolve();
      const other = options.gate?.();
      if (other !== undefined) await other.arrived.promise;
      return (options.http ?? fetch)(input, init);
    },
    sleep: async (ms) => {
      self.sleeps += 1;
      self.arrived.resolve();
      const other = options.gate?.();
      if (other !== undefined) await other.settled.promise;
      else clock.advance(ms);
    },
  });
  return self;
}

async function connect(grants: OAuthGrants, tenant: string): Promise<void> {
  const consent = await fetch(authorizeLink(app, `${tenant}.nonce`), { redirect: 'manual' });
  const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code') ?? '';
  await grants.save(
    tenant,
    await requestToken(app, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri }),
  );
}

const refreshes = () =>
  lever.requests.filter(
    (r) =>
      r.path === '/oauth/token' && new URLSearchParams(String(r.body)).get('grant_type') === 'refresh_token',
  );

/** Both instances ask for the tenant's credential at once; each settles its `settled` when done. */
async function both(a: Instance, b: Instance) {
  const ask = (who: Instance) =>
    who.grants
      .authFor('acme')
      .credential()
      .finally(() => who.settled.resolve());
  return Promise.allSettled([ask(a), ask(b)]);
}

if (database === undefined) {
  describe.skip(`refresh across instances (no PostgreSQL${postgresRequired ? '' : '; set STAGEGATE_TEST_POSTGRES=required to fail instead'})`, () => {
    it('skipped', () => {});
  });
} else {
  describe('refreshing an OAuth grant across two instances on one database', () => {
    it('refreshes once: the loser of the race uses the winner’s tokens, and the rotated refresh token is kept', async () => {
      const pair: Record<'a' | 'b', Instance | undefined> = { a: undefined, b: undefined };
      const a = await instance('a', { gate: () => pair.b as Instance });
      const b = await instance('b', { gate: () => pair.a as Instance });
      Object.assign(pair, { a, b });
      await connect(a.grants, 'acme');
      clock.advance(58 * minute); // 2 minutes left: both refresh ahead of expiry

      const [fromA, fromB] = await both(a, b);

      // Without the lease, one of them is refused here: invalid_grant, needs reconnecting.
      expect([fromA, fromB].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))).toEqual([]);
      const [first, second] = [fromA, fromB].map((r) => (r.status === 'fulfilled' ? r.value : undefined));
      expect(first?.authorization).toMatch(/^Bearer /);
      expect(second?.authorization).toBe(first?.authorization);
      expect(second?.bucketKey).toBe(first?.bucketKey);
      // One instance asked Lever; the other waited for its tokens.
      expect(refreshes().map((r) => r.status)).toEqual([200]);
      expect(a.tokenRequests + b.tokenRequests).toBe(1);
      expect(a.sleeps + b.sleeps).toBeGreaterThan(0);

      // The refresh token stored is the rotated one: the next refresh, on either instance, works.
      clock.advance(58 * minute);
      const later = await b.grants.authFor('acme').credential();
      expect(later.authorization).not.toBe(first?.authorization);
      clock.advance(58 * minute);
      const latest = await a.grants.authFor('acme').credential();
      expect(latest.authorization).not.toBe(later.authorization);
      expect(refreshes().map((r) => r.status)).toEqual([200, 200, 200]);
      // And the simulator does refuse a used refresh token: what a race without the lease runs into.
      const reused = new URLSearchParams(String(refreshes()[0]?.body)).get('refresh_token') ?? '';
      await expect(
        requestToken(app, { grant_type: 'refresh_token', refresh_token: reused }),
      ).rejects.toMatchObject({ details: { needsReconnecting: true, oauthError: 'invalid_grant' } });
    });

    it('takes over a lease whose holder died before Lever answered it', async () => {
      // "dying" takes the lease, then never hears from Lever: it hangs, as a dead process would.
      const asked = deferred();
      const dying = await instance('dying', {
        http: () => {
          asked.resolve();
          return new Promise<Response>(() => {});
        },
      });
      const b = await instance('b');
      await connect(b.grants, 'acme');
      clock.advance(58 * minute);
      void dying.grants
        .authFor('acme')
        .credential()
        .catch(() => {});
      await asked.promise;

      // b waits (each wait moves the clock a quarter second) until the lease has run out, then refreshes.
      const credential = await b.grants.authFor('acme').credential();

      expect(credential.authorization).toMatch(/^Bearer /);
      expect(b.sleeps).toBeGreaterThanOrEqual(30_000 / 250);
      expect(b.tokenRequests).toBe(1);
      expect(refreshes().map((r) => r.status)).toEqual([200]);
    });
  });

  describe('a refused grant recorded in the store', () => {
    it('invalid_grant at one instance’s refresh marks the grant; the other fails without asking Lever; a new grant clears it', async () => {
      const a = await instance('a');
      const b = await instance('b');
      await connect(a.grants, 'acme');
      lever.revokeGrants();
      clock.advance(58 * minute);
      await expect(a.grants.authFor('acme').credential()).rejects.toMatchObject({
        details: { needsReconnecting: true, oauthError: 'invalid_grant' },
      });
      const marked = (await b.grants.status('acme'))?.refused;
      expect(marked?.reason).toMatch(/^needs reconnecting: .*invalid_grant/);
      expect(marked?.since).toBe(clock.now());

      clock.advance(minute);
      await expect(b.grants.authFor('acme').credential()).rejects.toMatchObject({
        details: { needsReconnecting: true, reason: 'grant-refused', recordedRefusal: marked },
      });
      await expect(
        b.grants.authFor('acme').renew?.({ authorization: 'Bearer refused', bucketKey: 'oauth:acme' }),
      ).rejects.toMatchObject({
        details: { reason: 'grant-refused' },
      });
      expect(b.tokenRequests).toBe(0);
      expect(refreshes()).toHaveLength(1);
      // Marked once: a second mark (another instance's 401) keeps the first reason and time.
      expect(await b.grants.markRefused('acme', 'needs reconnecting: a 401')).toBe(false);
      expect((await a.grants.status('acme'))?.refused).toEqual(marked);

      await connect(b.grants, 'acme');
      expect((await a.grants.status('acme'))?.refused).toBeNull();
      expect((await a.grants.authFor('acme').credential()).authorization).toMatch(/^Bearer /);
    });

    it('markRefused (a 401 with the access token) marks a grant that was fine, once', async () => {
      const a = await instance('a');
      const b = await instance('b');
      await connect(a.grants, 'acme');
      expect(await a.grants.markRefused('acme', 'needs reconnecting: Lever refused the API key (401)')).toBe(
        true,
      );
      expect((await b.grants.status('acme'))?.refused).toEqual({
        reason: 'needs reconnecting: Lever refused the API key (401)',
        since: clock.now(),
      });
      await expect(b.grants.authFor('acme').credential()).rejects.toMatchObject({
        details: { reason: 'grant-refused' },
      });
      // No grant: nothing to mark.
      expect(await a.grants.markRefused('globex', 'needs reconnecting: x')).toBe(false);
      expect(lever.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(1); // the connect
    });
  });

  describe('two stagegate services on one database, one OAuth tenant', () => {
    const adminToken = 'admin-token-for-the-instances-test-0123456789';

    it('connects on one; both take its deliveries with the stored tokens, and each refresh is used by the other', async () => {
      const root = await createWorkspace({
        acme: sandboxTenant('acme', lever.baseUrl).replace(
          /lever:\n( {2}[^\n]*\n)+?(?= {2}baseUrl)/,
          'lever:\n  auth: oauth\n',
        ),
      });
      lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
      lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
      const env = {
        STAGEGATE_STORE: 'postgres',
        DATABASE_URL: databaseUrlForDir(database?.url ?? '', join(root, 'data')),
        STAGEGATE_ADMIN_TOKEN: adminToken,
        STAGEGATE_LEVER_CLIENT_ID: registered.clientId,
        STAGEGATE_LEVER_CLIENT_SECRET: registered.clientSecret,
        STAGEGATE_LEVER_REDIRECT_URI: registered.redirectUri,
        STAGEGATE_LEVER_AUTHORIZE_URL: lever.authorizeUrl,
        STAGEGATE_LEVER_TOKEN_URL: lever.tokenUrl,
        STAGEGATE_SECRET_KEY: '22'.repeat(32),
      };
      const one = await startStagegate(root, env, [], clock);
      const two = await startStagegate(root, env, [], clock);
      try {
        // Connected through the first: its link, Lever's consent, the callback on the first.
        const asked = await fetch(`${one.url}/admin/tenants/acme/connect`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}` },
        });
        const { link } = (await asked.json()) as { link: string };
        const consent = await fetch(link, { redirect: 'manual' });
        const back = new URL(consent.headers.get('location') ?? '');
        expect((await fetch(`${one.url}${back.pathname}${back.search}`)).status).toBe(200);
        const token = lever.webhooks().find((w) => w.event === 'candidateStageChange')?.signatureToken ?? '';

        // A delivery that lands on either instance is checked with the token Lever returned.
        const deliverTo = async (server: typeof one, name: string) => {
          const candidate = lever.addOpportunity({ name, stageId: 'stage-tech' });
          const answer = await lever.deliverWebhook({
            url: `${server.url}/webhooks/lever/acme`,
            event: 'candidateStageChange',
            data: { opportunityId: candidate.id, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
            signatureToken: token,
            triggeredAt: clock.now(),
          });
          expect(answer.status).toBe(202);
          // Both instances share the database: the other may have claimed the delivery or its
          // actions, so this one can be idle while that one is still at work.
          await vi.waitFor(
            async () => {
              await server.idle();
              await (server === one ? two : one).idle();
              expect(lever.getOpportunity(candidate.id)?.tags).toEqual(['Hired Assessments - Sent']);
            },
            { timeout: 10_000 },
          );
        };
        await deliverTo(two, 'Ada');
        clock.advance(56 * minute);
        await deliverTo(two, 'Grace'); // the second refreshes, and stores the rotated pair
        clock.advance(56 * minute);
        await deliverTo(one, 'Linus'); // the first refreshes with the refresh token the second stored
        expect(refreshes().map((r) => r.status)).toEqual([200, 200]);
        for (const server of [one, two]) {
          expect(server.lines.filter((line) => line.includes('needs reconnecting'))).toEqual([]);
        }
      } finally {
        await one.close();
        await two.close();
      }
    });
  });

  describe('a grant Lever refuses, seen by one of two services on one database', () => {
    const adminToken = 'admin-token-for-the-refused-grant-test-0123456789';
    /** While set, the services' retries wait on it (a backoff that has not run out yet). */
    let hold: Promise<void> | null = null;

    async function service(root: string, env: Record<string, string>) {
      const lines: string[] = [];
      const server = await startServer({
        cwd: root,
        env: {
          HOST: '127.0.0.1',
          PORT: '0',
          LOG_LEVEL: 'debug',
          STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
          ...env,
        },
        clock,
        logDestination: new Writable({
          write(chunk: Buffer, _encoding, callback) {
            lines.push(...chunk.toString().split('\n').filter(Boolean));
            callback();
          },
        }),
        sleep: async (ms) => {
          await hold;
          clock.advance(ms);
        },
      });
      return Object.assign(server, { lines });
    }

    const readiness = async (url: string) => {
      const answer = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${adminToken}` } });
      const body = (await answer.json()) as {
        detail: { id: string; degraded: { reason: string; since: number } | null }[];
      };
      return body.detail.find((tenant) => tenant.id === 'acme');
    };
    const status = async (server: RunningServer) => {
      const io = captureIo({
        cwd: tmpdir(),
        env: {
          STAGEGATE_URL: server.url,
          STAGEGATE_ADMIN_TOKEN: adminToken,
          STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
        },
      });
      expect(await runCli(['status'], io)).toBe(0);
      return io.out();
    };
    const consolePage = async (server: RunningServer) =>
      (await (await signIn(server.url, adminToken)).get('/console/tenants/acme')).text();
    const connectThrough = async (server: RunningServer) => {
      const asked = await fetch(`${server.url}/admin/tenants/acme/connect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}` },
      });
      const { link } = (await asked.json()) as { link: string };
      const consent = await fetch(link, { redirect: 'manual' });
      const back = new URL(consent.headers.get('location') ?? '');
      expect((await fetch(`${server.url}${back.pathname}${back.search}`)).status).toBe(200);
    };
    /**
     * Lets the services' timers and the store's commits run until `done` holds: each look waits for
     * one round trip to the database (no real-time sleep), a bounded number of times.
     */
    const until = async (store: Store, done: () => Promise<boolean>) => {
      for (let i = 0; i < 2000 && !(await done()); i++) {
        await store.pendingInbox('acme');
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await done()).toBe(true);
    };

    it('the other shows needs reconnecting without calling Lever, keeps deliveries waiting, and a reconnect clears it on both', async () => {
      hold = null;
      let release: () => void = () => {};
      const root = await createWorkspace({
        acme: sandboxTenant('acme', lever.baseUrl).replace(
          /lever:\n( {2}[^\n]*\n)+?(?= {2}baseUrl)/,
          'lever:\n  auth: oauth\n',
        ),
      });
      lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
      lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
      const env = {
        STAGEGATE_STORE: 'postgres',
        DATABASE_URL: databaseUrlForDir(database?.url ?? '', join(root, 'data')),
        STAGEGATE_ADMIN_TOKEN: adminToken,
        STAGEGATE_LEVER_CLIENT_ID: registered.clientId,
        STAGEGATE_LEVER_CLIENT_SECRET: registered.clientSecret,
        STAGEGATE_LEVER_REDIRECT_URI: registered.redirectUri,
        STAGEGATE_LEVER_AUTHORIZE_URL: lever.authorizeUrl,
        STAGEGATE_LEVER_TOKEN_URL: lever.tokenUrl,
        STAGEGATE_SECRET_KEY: '22'.repeat(32),
      };
      const one = await service(root, env);
      const two = await service(root, env);
      try {
        await connectThrough(one);
        const deliver = async (server: RunningServer, name: string) => {
          const token =
            lever.webhooks().find((w) => w.event === 'candidateStageChange')?.signatureToken ?? '';
          const candidate = lever.addOpportunity({ name, stageId: 'stage-tech' });
          const answer = await lever.deliverWebhook({
            url: `${server.url}/webhooks/lever/acme`,
            event: 'candidateStageChange',
            data: { opportunityId: candidate.id, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
            signatureToken: token,
            triggeredAt: clock.now(),
          });
          expect(answer.status).toBe(202);
          return candidate.id;
        };
        const ada = await deliver(two, 'Ada');
        await two.idle();
        expect(lever.getOpportunity(ada)?.tags).toEqual(['Hired Assessments - Sent']);
        for (const server of [one, two]) expect((await readiness(server.url))?.degraded).toBeNull();

        // The Super Admin revokes the grant in Lever; the first instance's next call finds out.
        lever.revokeGrants();
        hold = new Promise<void>((resolve) => {
          release = resolve;
        });
        const grace = await deliver(one, 'Grace');
        await until(one.store, async () => (await readiness(one.url))?.degraded != null);
        expect(refreshes()).toHaveLength(1); // refused: invalid_grant

        // The second instance shows it from the store, without a call to Lever.
        const seenByLever = lever.requests.length;
        const shown = await readiness(two.url);
        expect(shown?.degraded?.reason).toMatch(/^needs reconnecting: .*invalid_grant/);
        expect(shown?.degraded?.since).toBe((await readiness(one.url))?.degraded?.since);
        const printed = await status(two);
        expect(printed).toMatch(/acme\s+ready, degraded/);
        expect(printed).toContain('acme: needs reconnecting since');
        expect(printed).toContain('stagegate connect --tenant acme');
        expect(await consolePage(two)).toContain('<strong>Needs reconnecting</strong>');
        expect(lever.requests.length).toBe(seenByLever);

        // A delivery landing on the second waits in the inbox too, and it does not ask Lever.
        const linus = await deliver(two, 'Linus');
        await until(two.store, async () =>
          two.lines.some((line) => line.includes('recorded in its stored grant')),
        ).catch((e) => {
          console.log(two.lines.slice(-15).join('\n'));
          throw e;
        });
        expect(lever.requests.length).toBe(seenByLever);
        expect((await two.store.pendingInbox('acme')).map((item) => item.event)).toEqual([
          'candidateStageChange',
          'candidateStageChange',
        ]);
        // Logged as an error once, by the instance that saw Lever refuse it.
        const errors = [...one.lines, ...two.lines].filter(
          (line) => line.includes('"level":50') && line.includes('needs reconnecting'),
        );
        expect(errors).toHaveLength(1);
        expect(one.lines).toContain(errors[0]);

        // Connected again through the second: both show it connected at once.
        await connectThrough(two);
        for (const server of [one, two]) {
          expect((await readiness(server.url))?.degraded).toBeNull();
          expect(await status(server)).not.toContain('needs reconnecting');
          expect(await consolePage(server)).not.toContain('Needs reconnecting');
        }
        hold = null;
        release();
        await until(one.store, async () => {
          await Promise.all([one.idle(), two.idle()]);
          return (await one.store.pendingInbox('acme')).length === 0;
        });
        for (const id of [grace, linus])
          expect(lever.getOpportunity(id)?.tags).toEqual(['Hired Assessments - Sent']);
      } finally {
        hold = null;
        release();
        await one.close();
        await two.close();
      }
    });
  });
}
