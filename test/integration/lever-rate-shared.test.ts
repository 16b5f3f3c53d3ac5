// Lever's 10 requests/s is per credential, whichever instance sends: three instances (three stores on
// one PostgreSQL database, each with its own pool, as three processes would have) spend one budget
// per key, against the Lever simulator enforcing its limit on the same manual clock. No real sleeps:
// a virtual scheduler moves the clock to the next wake-up once every caller is asleep.
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { Secret } from '../../src/kernel/secret.js';
import {
  apiKeyBucket,
  createLeverTransport,
  type LeverAuth,
} from '../../src/lever/create-lever-transport.js';
import { createOAuthGrants, type OAuthGrants } from '../../src/lever/oauth/create-oauth-grants.js';
import {
  authorizeLink,
  type LeverOAuthApp,
  leverScopes,
  requestToken,
} from '../../src/lever/oauth/oauth-app.js';
import { createBucketRegistry } from '../../src/lever/rate-limit.js';
import { createCredentialVault, parseSecretKey } from '../../src/store/credentials.js';
import { createPostgresStore, type PostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { usePostgresDatabase } from '../support/postgres-test-database.js';

const database = await usePostgresDatabase('lever-rate-shared.test.ts');
const log = pino({ level: 'silent' });
const rule = { ratePerSecond: 9.6, capacity: 9 };
const registered = {
  clientId: 'app-1',
  clientSecret: 'secret-1',
  redirectUri: 'https://sg.example/oauth/lever/callback',
};
const sealKey = parseSecretKey('22'.repeat(32));

/**
 * Sleeps on a manual clock: a sleeper wakes when the clock reaches its time. `run` drives callers to
 * their end, advancing the clock to the earliest wake-up whenever every live caller is asleep (the
 * others are in real I/O: a query, an HTTP call).
 */
function virtualTime(start: number) {
  const clock = createManualClock(start);
  const sleepers: { at: number; wake: () => void }[] = [];
  // Told when a caller falls asleep or ends: the driver waits for that, not for time.
  let changed: (() => void) | null = null;
  const poke = () => {
    const wake = changed;
    changed = null;
    wake?.();
  };
  return {
    clock,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        sleepers.push({ at: clock.now() + ms, wake });
        poke();
      }),
    async run(callers: (() => Promise<void>)[]): Promise<void> {
      let live = callers.length;
      let failure: unknown;
      const done = Promise.all(
        callers.map((caller) =>
          caller()
            .catch((error: unknown) => {
              failure ??= error;
            })
            .finally(() => {
              live -= 1;
              poke();
            }),
        ),
      );
      while (live > 0) {
        if (sleepers.length < live) {
          await new Promise<void>((resolve) => {
            changed = resolve;
          });
          continue;
        }
        const next = Math.min(...sleepers.map((sleeper) => sleeper.at));
        clock.set(Math.max(clock.now(), next));
        const due = sleepers.filter((sleeper) => sleeper.at <= clock.now());
        const later = sleepers.filter((sleeper) => sleeper.at > clock.now());
        sleepers.splice(0, sleepers.length, ...later);
        for (const sleeper of due) sleeper.wake();
      }
      await done;
      if (failure !== undefined) throw failure;
    },
  };
}

/** Send times that a bucket of 10/s with bursts to 20 (Lever's) would refuse. */
function overLeversLimit(times: number[]): number {
  let tokens = 20;
  let at = times[0] ?? 0;
  let refused = 0;
  for (const t of [...times].sort((a, b) => a - b)) {
    tokens = Math.min(20, tokens + ((t - at) * 10) / 1000);
    at = t;
    if (tokens < 1) refused += 1;
    else tokens -= 1;
  }
  return refused;
}

describe.skipIf(database === undefined)('the Lever rate limit shared through PostgreSQL', () => {
  const url = database?.url ?? '';
  let lever: LeverSimulator;
  let instances: PostgresStore[] = [];
  const time = virtualTime(Date.UTC(2026, 11, 2, 6, 0, 0));

  beforeAll(async () => {
    lever = await startLeverSimulator({
      apiKeys: ['key-shared', 'key-other'],
      oauth: registered,
      now: () => time.clock.now(),
    });
    for (let o = 0; o < 4; o++) lever.addOpportunity({ id: `opp-${o}` });
    instances = await Promise.all(
      [1, 2, 3].map(() => createPostgresStore({ url, clock: time.clock, log, poolSize: 4 })),
    );
  });

  afterAll(async () => {
    await Promise.all(instances.map((store) => store.close()));
    await lever.close();
  });

  /** Instance i's Lever transport for the key (or OAuth auth), recording when each request leaves. */
  function transport(store: PostgresStore | null, apiKey: string | LeverAuth, sent: number[]) {
    const http: typeof fetch = (input, init) => {
      sent.push(time.clock.now());
      return fetch(input, init);
    };
    return createLeverTransport({
      baseUrl: lever.baseUrl,
      ...(typeof apiKey === 'string' ? { apiKey } : { auth: apiKey }),
      http,
      clock: time.clock,
      sleep: time.sleep,
      random: () => 0.5,
      log,
      buckets: createBucketRegistry({
        clock: time.clock,
        sleep: time.sleep,
        ...rule,
        shared: store?.rateBudgets ?? null,
      }),
    });
  }

  /** Three instances, `callers` concurrent callers each, `calls` GETs per caller. */
  async function drive(
    stores: (PostgresStore | null)[],
    apiKey: string | ((store: PostgresStore | null) => LeverAuth),
    callers: number,
    calls: number,
  ) {
    const sent: number[] = [];
    const firstRequest = lever.requests.length;
    const started = time.clock.now();
    const work = stores.flatMap((store) => {
      const send = transport(store, typeof apiKey === 'string' ? apiKey : apiKey(store), sent);
      return Array.from({ length: callers }, (_, c) => async () => {
        for (let n = 0; n < calls; n++) {
          // A call that ran out of retries on 429s is counted below, not thrown.
          await send({ method: 'GET', path: `/opportunities/opp-${(c + n) % 4}` }).catch(() => {});
        }
      });
    });
    await time.run(work);
    const answered = lever.requests.slice(firstRequest);
    return {
      sent,
      seconds: (time.clock.now() - started) / 1000,
      throttled: answered.filter((request) => request.status === 429).length,
    };
  }

  it('keeps three instances on one key under Lever’s limit together, at close to the configured rate', async () => {
    const { sent, seconds, throttled } = await drive(instances, 'key-shared', 4, 25);
    expect(sent).toHaveLength(3 * 4 * 25);
    expect(throttled).toBe(0);
    expect(overLeversLimit(sent)).toBe(0);
    // After the burst of 9, the configured 9.6/s: 291 more tokens take 30.3 s of virtual time.
    expect(seconds).toBeGreaterThanOrEqual((300 - rule.capacity) / rule.ratePerSecond - 0.2);
    expect(seconds).toBeLessThan((300 - rule.capacity) / rule.ratePerSecond + 1);
    // In any whole second after the burst, at most 10 requests (9.6, rounded up by where the second falls).
    const sorted = [...sent].sort((a, b) => a - b);
    for (let i = 20; i + 10 < sorted.length; i++) {
      expect((sorted[i + 10] ?? 0) - (sorted[i] ?? 0)).toBeGreaterThanOrEqual(1000);
    }
  });

  it('would not without it: three per-process buckets on one key run into 429s', async () => {
    time.clock.advance(60_000);
    const { throttled, sent } = await drive([null, null, null], 'key-shared', 4, 10);
    expect(throttled).toBeGreaterThan(0);
    expect(overLeversLimit(sent)).toBeGreaterThan(0);
  });

  it('names a key’s budget by its hash, never the key, and gives another key a budget of its own', async () => {
    time.clock.advance(60_000);
    const first = await drive(instances, 'key-other', 1, 2);
    expect(first.throttled).toBe(0);
    const rows = await instances[0]?.rateBudgets.reserve(apiKeyBucket('key-other'), time.clock.now(), rule);
    expect(rows).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows: keys } = await client.query<{ key: string }>(
        'SELECT key FROM lever_rate_buckets ORDER BY key',
      );
      expect(keys.map((row) => row.key).sort()).toEqual(
        [apiKeyBucket('key-other'), apiKeyBucket('key-shared')].sort(),
      );
      for (const { key } of keys) expect(key).not.toMatch(/key-(shared|other)/);
    } finally {
      await client.end();
    }
  });

  it('makes a caller that finds the bucket empty wait its turn, in one statement per take', async () => {
    const [a, b, c] = instances;
    if (!a || !b || !c) throw new Error('three instances');
    const key = 'oauth:acme:grant-1';
    const now = time.clock.now() + 3_600_000;
    const small = { ratePerSecond: 2, capacity: 2 };
    // The burst, then one token every 500 ms on credit, whichever instance asks.
    expect(await a.rateBudgets.reserve(key, now, small)).toBe(0);
    expect(await b.rateBudgets.reserve(key, now, small)).toBe(0);
    expect(await c.rateBudgets.reserve(key, now, small)).toBe(500);
    expect(await a.rateBudgets.reserve(key, now, small)).toBe(1000);
    // A clock that runs behind refills nothing; time that has passed pays the credit back.
    expect(await b.rateBudgets.reserve(key, now - 5_000, small)).toBe(1500);
    expect(await c.rateBudgets.reserve(key, now + 10_000, small)).toBe(0);
  });

  it('lets retention drop a bucket a day idle, which is full again by then', async () => {
    const [a] = instances;
    if (!a) throw new Error('an instance');
    const key = 'key:idle';
    const at = time.clock.now() + 2 * 3_600_000;
    for (let n = 0; n < rule.capacity + 3; n++) await a.rateBudgets.reserve(key, at, rule);
    const count = async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query('SELECT 1 FROM lever_rate_buckets WHERE key = $1', [key])).rowCount;
      } finally {
        await client.end();
      }
    };
    await a.prune(at + 3_600_000);
    expect(await count()).toBe(1);
    await a.prune(at + 25 * 3_600_000);
    expect(await count()).toBe(0);
    // As a full bucket would have: the burst at once.
    expect(await a.rateBudgets.reserve(key, at + 25 * 3_600_000, rule)).toBe(0);
  });

  it('fails with STORE_FAILED, nothing sent, when the database cannot be asked', async () => {
    const closed = await createPostgresStore({ url, clock: time.clock, log, poolSize: 1 });
    await closed.close();
    const failed = closed.rateBudgets.reserve('key:x', time.clock.now(), rule);
    await expect(failed).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await expect(failed).rejects.toThrow(/rate token/);
  });
});

describe.skipIf(database === undefined)('an OAuth tenant’s shared rate limit', () => {
  it('is keyed by the grant, which outlives the hourly access token, on every instance', async () => {
    if (sealKey === null) throw new Error('key');
    const url = database?.url ?? '';
    const time = virtualTime(Date.UTC(2026, 11, 2, 7, 0, 0));
    const lever = await startLeverSimulator({ apiKeys: [], oauth: registered, now: () => time.clock.now() });
    lever.addOpportunity({ id: 'opp-0' });
    // A schema of its own: the first describe's rows are not this one's.
    const stores = await Promise.all(
      [1, 2, 3].map(() =>
        createPostgresStore({ url, clock: time.clock, log, poolSize: 3, schema: 'oauth_limit' }),
      ),
    );
    try {
      const app: LeverOAuthApp = {
        clientId: registered.clientId,
        clientSecret: new Secret(registered.clientSecret),
        redirectUri: registered.redirectUri,
        env: 'production',
        authorizeUrl: lever.authorizeUrl,
        tokenUrl: lever.tokenUrl,
        audience: 'https://api.lever.co/v1/',
        scopes: leverScopes,
      };
      const grantsOf = new Map(
        stores.map((store) => [
          store,
          createOAuthGrants({
            app,
            vault: createCredentialVault({ store, keys: { current: sealKey, old: null }, clock: time.clock }),
            clock: time.clock,
            sleep: time.sleep,
            log,
          }),
        ]),
      );
      const consent = await fetch(authorizeLink(app, 'acme.nonce'), { redirect: 'manual' });
      const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const first = grantsOf.get(stores[0] as PostgresStore);
      await first?.save(
        'acme',
        await requestToken(app, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri }),
      );
      const grantId = (await first?.status('acme'))?.grantId;

      const drive = async () => {
        const sent: number[] = [];
        const firstRequest = lever.requests.length;
        const work = stores.flatMap((store) => {
          const send = createLeverTransport({
            baseUrl: lever.baseUrl,
            auth: (grantsOf.get(store) as OAuthGrants).authFor('acme'),
            http: (input, init) => {
              sent.push(time.clock.now());
              return fetch(input, init);
            },
            clock: time.clock,
            sleep: time.sleep,
            random: () => 0.5,
            log,
            buckets: createBucketRegistry({
              clock: time.clock,
              sleep: time.sleep,
              ...rule,
              shared: store.rateBudgets,
            }),
          });
          return Array.from({ length: 3 }, () => async () => {
            for (let n = 0; n < 10; n++) await send({ method: 'GET', path: '/opportunities/opp-0' });
          });
        });
        await time.run(work);
        const answered = lever.requests
          .slice(firstRequest)
          .filter((request) => request.path !== '/oauth/token');
        return { sent, throttled: answered.filter((request) => request.status === 429).length };
      };

      const before = await drive();
      expect(before.sent).toHaveLength(90);
      expect(before.throttled).toBe(0);
      expect(overLeversLimit(before.sent)).toBe(0);
      // An hour on: one instance refreshes the access token; the budget stays the grant's.
      time.clock.advance(58 * 60_000);
      const refreshed = await (grantsOf.get(stores[1] as PostgresStore) as OAuthGrants)
        .authFor('acme')
        .credential();
      expect(lever.requests.filter((request) => request.path === '/oauth/token')).toHaveLength(2);
      const after = await drive();
      expect(after.throttled).toBe(0);
      expect(overLeversLimit([...before.sent, ...after.sent])).toBe(0);

      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ key: string }>('SELECT key FROM oauth_limit.lever_rate_buckets');
        expect(rows.map((row) => row.key)).toEqual([`oauth:acme:${grantId}`]);
        expect(rows[0]?.key).not.toContain(refreshed.authorization.slice('Bearer '.length));
      } finally {
        await admin.end();
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await lever.close();
    }
  });
});
