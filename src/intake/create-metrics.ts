import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/types.js';

export interface IntakeMetrics {
  registry: Registry;
  deliveries: Counter<'tenant' | 'event' | 'outcome'>;
  configReloads: Counter<'tenant' | 'outcome'>;
  decisionSeconds: Histogram<'tenant'>;
  inboxOutcomes: Counter<'tenant' | 'outcome'>;
  actions: Counter<'tenant' | 'type' | 'outcome'>;
  queueDepth: Gauge<'queue'>;
  deadLetters: Gauge<'tenant'>;
  pruned: Counter<'kind'>;
}

/** Where the gauges of waiting and stuck work are read from at each scrape. */
export type WorkSource = Pick<Store, 'pendingInbox' | 'listActions'>;

/**
 * One registry per app, never prom-client's global one, so that two servers in a process do not clash.
 * Queue depths and dead letters are read from the store at scrape time: what the store holds is the
 * truth, whichever process step last touched it.
 */
export function createMetrics(options: { work?: WorkSource } = {}): IntakeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { work } = options;
  return {
    registry,
    deliveries: new Counter({
      name: 'stagegate_deliveries_total',
      help: 'Lever webhook deliveries received, by tenant, event and outcome.',
      labelNames: ['tenant', 'event', 'outcome'],
      registers: [registry],
    }),
    configReloads: new Counter({
      name: 'stagegate_config_reloads_total',
      help: 'Tenant configuration (re)loads, by tenant and outcome.',
      labelNames: ['tenant', 'outcome'],
      registers: [registry],
    }),
    decisionSeconds: new Histogram({
      name: 'stagegate_decision_seconds',
      help: 'Time from picking up a delivery to its decision being durable (enrichment from Lever included).',
      labelNames: ['tenant'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    inboxOutcomes: new Counter({
      name: 'stagegate_inbox_outcomes_total',
      help: 'Deliveries processed by the worker: decided, skipped (with a reason) or retry.',
      labelNames: ['tenant', 'outcome'],
      registers: [registry],
    }),
    actions: new Counter({
      name: 'stagegate_actions_total',
      help: 'Actions carried out, by tenant, type and outcome (done, retry, failed).',
      labelNames: ['tenant', 'type', 'outcome'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'stagegate_queue_depth',
      help: 'Work waiting now: inbox (deliveries not yet decided) and outbox (actions pending or running).',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        const depths = work && (await read(() => countQueues(work)));
        this.reset();
        if (depths === undefined) return;
        this.set({ queue: 'inbox' }, depths.inbox);
        this.set({ queue: 'outbox' }, depths.outbox);
      },
    }),
    deadLetters: new Gauge({
      name: 'stagegate_dead_letters',
      help: 'Actions dead-lettered (failed for good) and not retried since, by tenant.',
      labelNames: ['tenant'],
      registers: [registry],
      async collect() {
        const failed = work && (await read(() => work.listActions({ status: 'failed' })));
        this.reset();
        const perTenant = new Map<string, number>();
        for (const { tenant } of failed ?? []) perTenant.set(tenant, (perTenant.get(tenant) ?? 0) + 1);
        for (const [tenant, count] of perTenant) this.set({ tenant }, count);
      },
    }),
    pruned: new Counter({
      name: 'stagegate_pruned_total',
      help: 'Finished records removed by retention, by kind (inbox, decisions, actions, dedupe_tokens).',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}

async function countQueues(work: WorkSource): Promise<{ inbox: number; outbox: number }> {
  const [inbox, pending, running] = await Promise.all([
    work.pendingInbox(),
    work.listActions({ status: 'pending' }),
    work.listActions({ status: 'running' }),
  ]);
  return { inbox: inbox.length, outbox: pending.length + running.length };
}

/** undefined when the store cannot be read: the gauge is then left out of the scrape rather than stale. */
async function read<T>(query: () => Promise<T>): Promise<T | undefined> {
  try {
    return await query();
  } catch {
    return undefined;
  }
}
