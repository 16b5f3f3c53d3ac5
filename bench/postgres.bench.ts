import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { tenantEnvPrefix } from '../src/config/resolve-secrets.js';
import { systemClock } from '../src/kernel/clock.js';
import { signLeverWebhook } from '../src/lever/webhook-signature.js';
import { type RunningServer, startServer } from '../src/main.js';
import { createPostgresStore, describeDatabase } from '../src/store/postgres/create-postgres-store.js';
import { type LeverSimulator, startLeverSimulator } from '../test/support/lever-simulator.js';
import { createWorkspace, sandboxTenant } from '../test/support/start-stagegate.js';
import type { BenchResult } from './bench-result.js';
import { seedOutbox, tenantId } from './executor.bench.js';
import { drive, median, startBare, startIntakeLever, startOurs } from './intake.bench.js';

/**
 * PostgreSQL beside SQLite, in one run, on a database of the bench's own (created on
 * STAGEGATE_BENCH_POSTGRES_URL, default the machine's cluster, and dropped after):
 *
 * - durable intake: one instance on each store and bare Express, alternating, as bench/intake.bench.ts;
 * - three instances on one Lever key against the Lever simulator enforcing 10 requests/s (bursts to
 *   20): the share of the allowance their executors get together, and the 429s, in steady state;
 * - the cost of a delivery in database round trips, counted at node-postgres's Client.query, which
 *   every pooled query and transaction statement goes through.
 */

const adminUrl = process.env.STAGEGATE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const silent = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

interface BenchDatabase {
  /** A DATABASE_URL with a schema never used before: each run starts empty. */
  freshUrl(): string;
  drop(): Promise<void>;
}

async function createBenchDatabase(): Promise<BenchDatabase | string> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    return `no PostgreSQL at ${describeDatabase(adminUrl)} (${(error as Error).message})`;
  }
  const name = `stagegate_bench_${randomBytes(5).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let schemas = 0;
  return {
    freshUrl() {
      const fresh = new URL(url);
      schemas += 1;
      fresh.searchParams.set('options', `-c search_path=bench_${schemas}`);
      return fresh.toString();
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Durable intake, one instance on SQLite and one on PostgreSQL, each against bare Express in the same run. */
async function intakeSideBySide(db: BenchDatabase): Promise<BenchResult[]> {
  const runs = 3;
  const lever = await startIntakeLever();
  try {
    const bare = await startBare();
    const rates = { sqlite: [] as number[], postgres: [] as number[], bare: [] as number[] };
    const latencies = { sqlite: [] as number[], postgres: [] as number[] };
    try {
      await drive('warm-up, bare', bare.url);
      for (let run = 0; run < runs; run++) {
        const sqlite = await startOurs(lever, 'sqlite');
        const postgres = await startOurs(lever, 'postgres', db.freshUrl());
        try {
          // Rotate which goes first, so that none always runs on a warmer (or hotter) machine.
          const order = (['sqlite', 'postgres', 'bare'] as const).map((_, i, all) => all[(i + run) % 3]);
          for (const which of order) {
            const url = which === 'sqlite' ? sqlite.url : which === 'postgres' ? postgres.url : bare.url;
            if (which !== undefined) rates[which].push((await drive(`${which}, max`, url)).rate);
          }
        } finally {
          await sqlite.close();
          await postgres.close();
        }
      }
      // p99 at 70 % of each one's own max rate.
      for (let run = 0; run < runs; run++) {
        for (const which of run % 2 === 0
          ? (['sqlite', 'postgres'] as const)
          : (['postgres', 'sqlite'] as const)) {
          const target = await startOurs(lever, which, which === 'postgres' ? db.freshUrl() : undefined);
          try {
            const paced = Math.round(0.7 * median(rates[which]));
            latencies[which].push((await drive(`${which}, 70%`, target.url, paced)).p99);
          } finally {
            await target.close();
          }
        }
      }
    } finally {
      await bare.close();
    }
    const [sqlite, postgres, bareMax] = [median(rates.sqlite), median(rates.postgres), median(rates.bare)];
    return [
      {
        name: 'intake, ours on sqlite (fsync on, 32 connections; same run as postgres)',
        value: sqlite,
        unit: 'deliveries/s',
      },
      {
        name: 'intake, ours on postgres (1 instance, pool of 10, same run)',
        value: postgres,
        unit: 'deliveries/s',
      },
      { name: 'intake, bare Express 5 (same run)', value: bareMax, unit: 'requests/s' },
      { name: 'intake, postgres / sqlite', value: (postgres / sqlite) * 100, unit: '%' },
      { name: 'intake, postgres / bare', value: (postgres / bareMax) * 100, unit: '%', target: '>= 50' },
      {
        name: 'intake, sqlite / bare (same run)',
        value: (sqlite / bareMax) * 100,
        unit: '%',
        target: '>= 50',
      },
      {
        name: `intake, postgres: p99 ack latency at 70% of max (${Math.round(0.7 * postgres).toLocaleString('en-US')}/s)`,
        value: median(latencies.postgres),
        unit: 'ms',
        target: '<= 50',
      },
      {
        name: `intake, sqlite: p99 ack latency at 70% of max (${Math.round(0.7 * sqlite).toLocaleString('en-US')}/s)`,
        value: median(latencies.sqlite),
        unit: 'ms',
        target: '<= 50',
      },
    ];
  } finally {
    await lever.close();
  }
}

/**
 * Three instances (three servers, each its own workspace and pool) on one database, one tenant, one
 * Lever key; the outbox seeded with more lever.addTags than the window can run. Measured after a
 * warm-up that spends the opening bursts: done actions per second against Lever's 10, and 429s.
 */
async function threeInstancesOneKey(db: BenchDatabase): Promise<BenchResult[]> {
  const instances = 3;
  const warmupMs = 4_000;
  const windowMs = 10_000;
  const runs = 3;
  const shares: number[] = [];
  const throttled: number[] = [];
  for (let run = 0; run < runs; run++) {
    const apiKey = 'lever-key-shared';
    const lever: LeverSimulator = await startLeverSimulator({ apiKeys: [apiKey] });
    const url = db.freshUrl();
    const opportunities = Math.ceil((1.5 * 10 * (warmupMs + windowMs)) / 1000 / 3);
    for (let o = 0; o < opportunities; o++) lever.addOpportunity({ id: `opp-0-${o}` });
    const seeding = await createPostgresStore({ url, clock: systemClock });
    try {
      await seedOutbox(seeding, 1, opportunities);
    } finally {
      await seeding.close();
    }
    const id = tenantId(0);
    const env = {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      STAGEGATE_STORE: 'postgres',
      DATABASE_URL: url,
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
      [`${tenantEnvPrefix(id)}LEVER_API_KEY`]: apiKey,
      [`${tenantEnvPrefix(id)}TOKEN`]: 'webhook-token-0',
    };
    const roots: string[] = [];
    const servers: RunningServer[] = [];
    try {
      for (let i = 0; i < instances; i++) {
        const root = await createWorkspace({ [id]: sandboxTenant(id, lever.baseUrl) });
        roots.push(root);
        servers.push(await startServer({ cwd: root, env, logDestination: silent() }));
      }
      const [first] = servers;
      if (!first) throw new Error('no instance');
      const done = async () => (await first.store.listActions({ status: 'done' })).length;
      await new Promise((resolve) => setTimeout(resolve, warmupMs));
      const before = await done();
      const firstRequest = lever.requests.length;
      const started = performance.now();
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      const after = await done();
      const seconds = (performance.now() - started) / 1000;
      const seen = lever.requests.slice(firstRequest);
      if ((await first.store.listActions({ status: 'pending' })).length === 0) {
        throw new Error('postgres bench, three instances: the backlog ran dry');
      }
      shares.push(((after - before) / seconds / 10) * 100);
      throttled.push(seen.filter((request) => request.status === 429).length);
    } finally {
      for (const server of servers) await server.close();
      for (const root of roots) await rm(root, { recursive: true, force: true });
      await lever.close();
    }
  }
  return [
    {
      name: `executor, ${instances} instances on one key (postgres, shared bucket): share of the 10 req/s allowance, together (median of ${runs})`,
      value: median(shares),
      unit: '%',
      target: '>= 90',
    },
    {
      name: `executor, ${instances} instances on one key: 429s from Lever in steady state (median of ${runs}; most ${Math.max(...throttled)})`,
      value: median(throttled),
      unit: '429s',
      target: '0',
    },
  ];
}

/** Counts every statement node-postgres sends (a pooled query, a transaction's BEGIN and COMMIT). */
function countQueries() {
  const counts = { all: 0, transactions: 0, rate: 0, savepoints: 0 };
  const excluded = new WeakSet<object>();
  const original = pg.Client.prototype.query;
  // biome-ignore lint/suspicious/noExplicitAny: wraps every overload of query
  pg.Client.prototype.query = function query(this: pg.Client, ...args: any[]) {
    if (!excluded.has(this)) {
      const text = typeof args[0] === 'string' ? args[0] : String(args[0]?.text ?? '');
      counts.all += 1;
      if (/^\s*BEGIN/i.test(text)) counts.transactions += 1;
      if (text.includes('lever_rate_buckets')) counts.rate += 1;
      if (/^\s*(SAVEPOINT|RELEASE)/i.test(text)) counts.savepoints += 1;
      if (process.env.STAGEGATE_BENCH_TRACE === '1') console.error(text.replace(/\s+/g, ' ').slice(0, 90));
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    counts,
    exclude: (client: object) => excluded.add(client),
    snapshot: () => ({ ...counts }),
    restore() {
      pg.Client.prototype.query = original;
    },
  };
}

/**
 * One instance on PostgreSQL, deliveries posted one at a time (no group commit to share), Lever
 * not limiting (STAGEGATE_LEVER_RATE 1000), the sandbox vendor: the statements per delivery for
 * the intake alone (its worker stopped) and for the whole way (decision, send, tags), less what the
 * executor's idle ticks cost in the same time.
 */
async function roundTrips(db: BenchDatabase): Promise<BenchResult[]> {
  const deliveries = 60;
  const token = 'webhook-token-rt';
  const lever = await startLeverSimulator({ apiKeys: ['lever-key-rt'], rateLimit: false });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  const counter = countQueries();
  // burst: deliveries sent at once (each burst after the last is answered), as Lever's retries and
  // several candidates moved together arrive.
  const measure = async (stopWorker: boolean, burst = 1) => {
    const url = db.freshUrl();
    const root = await createWorkspace({ acme: sandboxTenant('acme', lever.baseUrl) });
    const server = await startServer({
      cwd: root,
      env: {
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        STAGEGATE_STORE: 'postgres',
        DATABASE_URL: url,
        STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
        STAGEGATE_LEVER_RATE: '1000',
        ACME__LEVER_API_KEY: 'lever-key-rt',
        ACME__TOKEN: token,
      },
      logDestination: silent(),
    });
    const watcher = new pg.Client({ connectionString: url });
    counter.exclude(watcher);
    await watcher.connect();
    try {
      if (stopWorker) await server.pipeline.worker.stop();
      // The executor's timer ticks with nothing to do: its cost per second, to take off below.
      let at = counter.snapshot();
      let started = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const idlePerMs = (counter.counts.all - at.all) / (performance.now() - started);
      const run = randomBytes(4).toString('hex');
      const opportunities = Array.from({ length: deliveries }, (_, n) =>
        lever.addOpportunity({ stageId: 'stage-tech', emails: [`rt-${run}-${n}@example.com`] }),
      );
      at = counter.snapshot();
      started = performance.now();
      const send = async (opportunity: (typeof opportunities)[number], n: number) => {
        const triggeredAt = Date.now();
        const deliveryToken = `${run}-${n}`;
        const answer = await fetch(`${server.url}/webhooks/lever/acme`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            triggeredAt,
            event: 'candidateStageChange',
            data: { opportunityId: opportunity.id, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
            signature: signLeverWebhook(token, deliveryToken, triggeredAt),
            token: deliveryToken,
          }),
        });
        if (answer.status !== 202) throw new Error(`round trips bench: delivery answered ${answer.status}`);
      };
      for (let from = 0; from < opportunities.length; from += burst) {
        await Promise.all(opportunities.slice(from, from + burst).map((o, k) => send(o, from + k)));
      }
      if (!stopWorker) {
        // Until every delivery is decided and every action done (read on a connection not counted).
        for (;;) {
          const { rows } = await watcher.query<{ open: string }>(
            `SELECT (SELECT count(*) FROM inbox WHERE status <> 'done') + (SELECT count(*) FROM actions WHERE status NOT IN ('done', 'failed')) AS open`,
          );
          if (Number(rows[0]?.open) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      const elapsed = performance.now() - started;
      const { rows } = await watcher.query<{ actions: string }>(
        'SELECT (SELECT count(*) FROM actions) AS actions',
      );
      const spent = counter.snapshot();
      return {
        perDelivery: (spent.all - at.all - idlePerMs * elapsed) / deliveries,
        transactions: (spent.transactions - at.transactions) / deliveries,
        rate: (spent.rate - at.rate) / deliveries,
        savepoints: (spent.savepoints - at.savepoints) / deliveries,
        actions: Number(rows[0]?.actions) / deliveries,
        idlePerSecond: idlePerMs * 1000,
      };
    } finally {
      await watcher.end();
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  };
  try {
    const intake = await measure(true);
    const burst = await measure(true, 20);
    const whole = await measure(false);
    return [
      {
        name: 'postgres round trips per delivery: intake (verify, dedupe, inbox; 1 at a time)',
        value: intake.perDelivery,
        unit: 'queries',
      },
      {
        name: 'postgres round trips per delivery: intake, 20 at a time',
        value: burst.perDelivery,
        unit: 'queries',
      },
      {
        name: 'postgres transactions per delivery: intake, 20 at a time',
        value: burst.transactions,
        unit: 'BEGINs',
      },
      { name: 'postgres transactions per delivery: intake', value: intake.transactions, unit: 'BEGINs' },
      {
        name: `postgres round trips per delivery: intake + decision + its ${whole.actions.toFixed(1)} actions`,
        value: whole.perDelivery,
        unit: 'queries',
      },
      {
        name: 'postgres transactions per delivery: the whole way',
        value: whole.transactions,
        unit: 'BEGINs',
      },
      {
        name: 'postgres savepoints per delivery (SAVEPOINT + RELEASE): the whole way',
        value: whole.savepoints,
        unit: 'queries',
      },
      {
        name: 'postgres rate-limit reservations per delivery (one per Lever request)',
        value: whole.rate,
        unit: 'queries',
      },
      {
        name: 'postgres queries per second of an idle instance (executor ticks)',
        value: whole.idlePerSecond,
        unit: 'queries/s',
      },
    ];
  } finally {
    counter.restore();
    await lever.close();
  }
}

export async function benchPostgres(): Promise<BenchResult[]> {
  const db = await createBenchDatabase();
  if (typeof db === 'string') {
    console.warn(`postgres benchmarks skipped: ${db}`);
    return [];
  }
  try {
    const only = process.env.STAGEGATE_BENCH_POSTGRES_ONLY;
    return [
      ...(only === undefined || only === 'intake' ? await intakeSideBySide(db) : []),
      ...(only === undefined || only === 'limit' ? await threeInstancesOneKey(db) : []),
      ...(only === undefined || only === 'trips' ? await roundTrips(db) : []),
    ];
  } finally {
    await db.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchPostgres()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`);
}
