import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import express from 'express';
import { signLeverWebhook } from '../src/lever/webhook-signature.js';
import { type RunningServer, startServer } from '../src/main.js';
import { type LeverSimulator, startLeverSimulator } from '../test/support/lever-simulator.js';
import { createWorkspace, sandboxTenant } from '../test/support/start-stagegate.js';
import type { BenchResult } from './bench-result.js';

/**
 * The durable intake: POST /webhooks/lever/acme with valid, signed deliveries, each with a token
 * never seen before, so that every one is authenticated, written to the inbox and fsynced (the
 * default) before its 202. The same load against a bare Express 5 handler (express.json, then 202)
 * gives the ceiling of the HTTP stack on this machine; our figure over it is what the
 * authentication and the durable write cost.
 *
 * The worker runs as in production: it decides the accepted deliveries behind the intake, at the
 * pace Lever enrichment allows (our token bucket, 10 requests/s per key), so it takes little CPU
 * from the intake. autocannon runs in this process too, for both servers: the bare figure is what
 * the stack does while sharing the CPU with the load generator, not its absolute ceiling.
 */

const env = { ACME__LEVER_API_KEY: 'lever-key-bench', ACME__TOKEN: 'webhook-token-bench' };
const opportunities = 20;
const runs = 3;
const durationS = 5;
const connections = 32;

interface Target {
  url: string;
  close(): Promise<void>;
}

/** Every request a fresh token and its signature, as Lever sends them. */
function deliveries(): autocannon.Request[] {
  let sent = 0;
  const run = randomBytes(6).toString('hex');
  return [
    {
      method: 'POST',
      setupRequest(request) {
        sent += 1;
        const token = `${run}-${sent}-${randomBytes(8).toString('hex')}`;
        const triggeredAt = Date.now();
        const opportunityId = `opp-${sent % opportunities}`;
        return {
          ...request,
          headers: { 'content-type': 'application/json', 'user-agent': 'Lever-Webhooks' },
          body: JSON.stringify({
            triggeredAt,
            event: 'candidateStageChange',
            data: {
              opportunityId,
              candidateId: opportunityId,
              contactId: `contact-${opportunityId}`,
              fromStageId: 'stage-phone',
              toStageId: 'stage-tech',
            },
            signature: signLeverWebhook(env.ACME__TOKEN, token, triggeredAt),
            token,
          }),
        };
      },
    },
  ];
}

/**
 * A sleep on real time that the shutdown can cut short: requests queued behind our Lever token
 * bucket (the worker's enrichment of thousands of deliveries) would otherwise hold close() for
 * minutes.
 */
function releasableSleep() {
  const waiting = new Set<() => void>();
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const release = () => {
          clearTimeout(timer);
          waiting.delete(release);
          resolve();
        };
        const timer = setTimeout(release, ms);
        waiting.add(release);
      }),
    releaseAll() {
      for (const release of [...waiting]) release();
    },
  };
}

export type StoreKind = 'lowdb' | 'sqlite' | 'postgres';

/** `databaseUrl` for postgres: a database the bench may fill (bench/postgres.bench.ts makes one). */
export async function startOurs(
  lever: LeverSimulator,
  store: StoreKind,
  databaseUrl?: string,
): Promise<Target & { server: RunningServer }> {
  const root = await createWorkspace({ acme: sandboxTenant('acme', lever.baseUrl) });
  const { sleep, releaseAll } = releasableSleep();
  const server = await startServer({
    cwd: root,
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      STAGEGATE_STORE: store,
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
      ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
      ...env,
    },
    logDestination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    sleep,
  });
  return {
    url: `${server.url}/webhooks/lever/acme`,
    server,
    async close() {
      const stopping = server.pipeline.worker.stop();
      releaseAll();
      await stopping;
      releaseAll();
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export async function startBare(): Promise<Target> {
  const app = express();
  app.disable('x-powered-by');
  app.post('/webhooks/lever/:tenant', express.json(), (_req, res) => {
    res.status(202).json({});
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/lever/acme`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Load {
  /** Accepted deliveries (202) per second. */
  rate: number;
  p99: number;
  accepted: number;
  total: number;
  statuses: string;
}

/** One autocannon run; throws unless at least 99% of what was sent was answered 202. */
export async function drive(label: string, url: string, overallRate?: number): Promise<Load> {
  const result = await autocannon({
    url,
    connections,
    duration: durationS,
    timeout: 10,
    requests: deliveries(),
    ...(overallRate === undefined ? {} : { overallRate }),
  });
  const accepted = result.statusCodeStats?.['202']?.count ?? 0;
  // Connection errors and timeouts have no status; every answer but 202 is a failure too.
  const total = result['2xx'] + result.non2xx + result.errors;
  const statuses = [
    ...Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${code}: ${count ?? 0}`),
    ...(result.errors > 0 ? [`errors: ${result.errors} (timeouts ${result.timeouts})`] : []),
  ].join(', ');
  if (total === 0 || accepted < 0.99 * total) {
    throw new Error(`intake bench, ${label}: only ${accepted} of ${total} answered 202 (${statuses})`);
  }
  return { rate: accepted / result.duration, p99: result.latency.p99, accepted, total, statuses };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Both store backends, each against bare Express in the same run. */
export async function benchIntake(): Promise<BenchResult[]> {
  return [...(await benchIntakeWith('lowdb')), ...(await benchIntakeWith('sqlite'))];
}

/** The Lever the intake's worker enriches from: no rate limit of its own (our bucket paces the worker). */
export async function startIntakeLever(): Promise<LeverSimulator> {
  const lever = await startLeverSimulator({ apiKeys: [env.ACME__LEVER_API_KEY], rateLimit: false });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  for (let i = 0; i < opportunities; i++) {
    lever.addOpportunity({ id: `opp-${i}`, stageId: 'stage-tech', emails: [`c${i}@example.com`] });
  }
  return lever;
}

async function benchIntakeWith(store: StoreKind): Promise<BenchResult[]> {
  const lever = await startIntakeLever();
  try {
    const bare = await startBare();
    const ours: number[] = [];
    const bares: number[] = [];
    try {
      await drive('warm-up, bare', bare.url);
      for (let run = 0; run < runs; run++) {
        // A fresh workspace each run: every run starts from an empty inbox, as the first does.
        const target = await startOurs(lever, store);
        try {
          // Alternate which goes first, so that neither always runs on a warmer (or hotter) machine.
          if (run % 2 === 0) {
            ours.push((await drive('ours, max', target.url)).rate);
            bares.push((await drive('bare, max', bare.url)).rate);
          } else {
            bares.push((await drive('bare, max', bare.url)).rate);
            ours.push((await drive('ours, max', target.url)).rate);
          }
        } finally {
          await target.close();
        }
      }
    } finally {
      await bare.close();
    }
    const max = median(ours);
    const bareMax = median(bares);

    // Latency at 70% of our max rate: autocannon paces the requests across all connections.
    const paced = Math.round(0.7 * max);
    const latencies: number[] = [];
    for (let run = 0; run < runs; run++) {
      const target = await startOurs(lever, store);
      try {
        latencies.push((await drive('ours, 70%', target.url, paced)).p99);
      } finally {
        await target.close();
      }
    }
    return [
      {
        name: `intake, ours on ${store} (fsync on, ${connections} connections)`,
        value: max,
        unit: 'deliveries/s',
        target: undefined,
      },
      { name: `intake, bare Express 5 (same run as ${store})`, value: bareMax, unit: 'requests/s' },
      { name: `intake, ours on ${store} / bare`, value: (max / bareMax) * 100, unit: '%', target: '>= 50' },
      {
        name: `intake, ours on ${store}: p99 ack latency at 70% of max (${paced.toLocaleString('en-US')}/s)`,
        value: median(latencies),
        unit: 'ms',
        target: '<= 50',
      },
    ];
  } finally {
    await lever.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchIntake()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`);
}
