import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface IntakeMetrics {
  registry: Registry;
  deliveries: Counter<'tenant' | 'event' | 'outcome'>;
  configReloads: Counter<'tenant' | 'outcome'>;
  decisionSeconds: Histogram<'tenant'>;
  inboxOutcomes: Counter<'tenant' | 'outcome'>;
  actions: Counter<'tenant' | 'type' | 'outcome'>;
  queueDepth: Gauge<'queue'>;
}

/** One registry per app, never prom-client's global one, so that two servers in a process do not clash. */
export function createMetrics(): IntakeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
      help: 'Work waiting: inbox (deliveries not yet decided) and outbox (actions not yet done).',
      labelNames: ['queue'],
      registers: [registry],
    }),
  };
}
