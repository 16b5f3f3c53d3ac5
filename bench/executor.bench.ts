import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { tenantEnvPrefix } from '../src/config/resolve-secrets.js';
import { systemClock } from '../src/kernel/clock.js';
import { startServer } from '../src/main.js';
import { createSqliteStore } from '../src/store/sqlite/create-sqlite-store.js';
import type { ActionRecord, Store } from '../src/store/types.js';
import { type LeverSimulator, startLeverSimulator } from '../test/support/lever-simulator.js';
import { createWorkspace, sandboxTenant } from '../test/support/start-stagegate.js';
import type { BenchResult } from './bench-result.js';

/**
 * The executor against Lever's limit of 10 requests/s per API key (bursts to 20), which the Lever
 * simulator enforces with 429s. The outbox is seeded directly (a delivery, then its decision with
 * three lever.addTags actions, per opportunity) before the server starts; then the real server runs
 * it as in production: startServer's pipeline, its executor ticking every second, real Lever
 * clients sharing one token bucket per API key, the real clock and a real sleep, the store fsyncing.
 *
 * Measured: actions done per second in a window that starts once the opening burst (20 tokens on
 * each side) is spent, so the figure is the steady state; and the 429s the simulator answered in
 * that window.
 */

const allowance = 10;
const actionsPerDecision = 3;
const warmupMs = 4_000;
const windowMs = 10_000;

interface Run {
  /** Done actions per second in the window, per tenant. */
  perTenant: number[];
  throttled: number;
  requests: number;
}

export const tenantId = (t: number) => `t${String(t).padStart(2, '0')}`;
const apiKey = (t: number) => `lever-key-${t}`;

/**
 * Enough work for every tenant to run at its full allowance past the end of the window. Opportunities
 * are interleaved across tenants in the outbox's order (createdAt), as deliveries of many tenants
 * arriving together would be.
 */
async function seed(dir: string, tenants: number, opportunities: number): Promise<void> {
  const store = await createSqliteStore({ dir, clock: systemClock });
  try {
    await seedOutbox(store, tenants, opportunities);
  } finally {
    await store.close();
  }
}

/** The outbox `seed` fills, in any store (bench/postgres.bench.ts seeds PostgreSQL with it). */
export async function seedOutbox(store: Store, tenants: number, opportunities: number): Promise<void> {
  const start = Date.now() - tenants * opportunities;
  const writes: Promise<unknown>[] = [];
  for (let o = 0; o < opportunities; o++) {
    for (let t = 0; t < tenants; t++) {
      const tenant = tenantId(t);
      const opportunityId = `opp-${t}-${o}`;
      const createdAt = start + o * tenants + t;
      writes.push(
        (async () => {
          const { item } = await store.acceptDelivery({
            tenant,
            token: `token-${t}-${o}`,
            event: 'candidateStageChange',
            triggeredAt: createdAt,
            opportunityId,
            payload: { event: 'candidateStageChange', data: { opportunityId } },
          });
          const decisionId = `dec-${t}-${o}`;
          const actions: ActionRecord[] = Array.from({ length: actionsPerDecision }, (_, index) => ({
            id: `${decisionId}:${index}`,
            tenant,
            opportunityId,
            decisionId,
            index,
            action: { type: 'lever.addTags', tags: [`bench-${index}`] },
            status: 'pending',
            attempts: 0,
            nextAttemptAt: createdAt,
            createdAt,
            updatedAt: createdAt,
          }));
          await store.completeInbox(item.id, {
            decision: {
              id: decisionId,
              tenant,
              opportunityId,
              inboxId: item.id,
              createdAt,
              // The executor reads only `facts` (that the decision is still there) for Lever writes.
              decision: {
                id: decisionId,
                tenant,
                facts: { candidate: { opportunityId, name: `Candidate ${o}` } },
                actions: actions.map((action) => action.action),
              },
            },
            actions,
          });
        })(),
      );
    }
  }
  await Promise.all(writes);
}

async function run(tenants: number): Promise<Run> {
  // Half as much again as 10/s for warm-up and window (and the burst) would need: the backlog never runs dry.
  const perTenant = Math.ceil((1.5 * allowance * (warmupMs + windowMs)) / 1000 / actionsPerDecision);
  const lever: LeverSimulator = await startLeverSimulator({
    apiKeys: Array.from({ length: tenants }, (_, t) => apiKey(t)),
  });
  const files: Record<string, string> = {};
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    STAGEGATE_STORE: 'sqlite',
    STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
  };
  for (let t = 0; t < tenants; t++) {
    const id = tenantId(t);
    files[id] = sandboxTenant(id, lever.baseUrl);
    env[`${tenantEnvPrefix(id)}LEVER_API_KEY`] = apiKey(t);
    env[`${tenantEnvPrefix(id)}TOKEN`] = `webhook-token-${t}`;
  }
  for (let t = 0; t < tenants; t++)
    for (let o = 0; o < perTenant; o++) lever.addOpportunity({ id: `opp-${t}-${o}` });
  const root = await createWorkspace(files);
  try {
    await seed(join(root, 'data'), tenants, perTenant);
    const server = await startServer({
      cwd: root,
      env,
      logDestination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    });
    try {
      const doneByTenant = async () => {
        const counts = new Array<number>(tenants).fill(0);
        for (const action of await server.store.listActions({ status: 'done' })) {
          const t = Number(action.tenant.slice(1));
          counts[t] = (counts[t] ?? 0) + 1;
        }
        return counts;
      };
      await new Promise((resolve) => setTimeout(resolve, warmupMs));
      const before = await doneByTenant();
      const firstRequest = lever.requests.length;
      const started = performance.now();
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      const after = await doneByTenant();
      const seconds = (performance.now() - started) / 1000;
      const seen = lever.requests.slice(firstRequest);
      const pending = (await server.store.listActions({ status: 'pending' })).length;
      if (pending === 0) throw new Error(`executor bench, ${tenants} tenants: the backlog ran dry`);
      return {
        perTenant: after.map((count, t) => (count - (before[t] ?? 0)) / seconds),
        throttled: seen.filter((request) => request.status === 429).length,
        requests: seen.length,
      };
    } finally {
      await server.close();
    }
  } finally {
    await lever.close();
    await rm(root, { recursive: true, force: true });
  }
}

export async function benchExecutor(): Promise<BenchResult[]> {
  const one = await run(1);
  const rate = one.perTenant[0] ?? 0;
  const many = await run(50);
  const aggregate = many.perTenant.reduce((sum, r) => sum + r, 0);
  const slowest = Math.min(...many.perTenant);
  return [
    { name: 'executor, 1 tenant: lever.addTags done', value: rate, unit: 'actions/s' },
    {
      name: 'executor, 1 tenant: share of the 10 req/s allowance',
      value: (rate / allowance) * 100,
      unit: '%',
      target: '>= 95',
    },
    {
      name: 'executor, 1 tenant: 429s from Lever in steady state',
      value: one.throttled,
      unit: '429s',
      target: '0',
    },
    {
      name: 'executor, 50 tenants: aggregate',
      value: aggregate,
      unit: 'actions/s',
      target: '≈ 500 (50 × 10)',
    },
    {
      name: 'executor, 50 tenants: per tenant (mean)',
      value: aggregate / 50,
      unit: 'actions/s',
      target: '≈ 10',
    },
    { name: 'executor, 50 tenants: per tenant (slowest)', value: slowest, unit: 'actions/s' },
    {
      name: 'executor, 50 tenants: 429s from Lever in steady state',
      value: many.throttled,
      unit: '429s',
      target: '0',
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchExecutor()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`);
}
