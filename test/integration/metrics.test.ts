import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { testStoreEnv } from '../support/open-store.js';
import { createWorkspace, sandboxTenant } from '../support/start-stagegate.js';

const apiKey = 'acme-lever-key-for-metrics';
const token = 'acme-webhook-token-for-metrics';
const env = { ACME__LEVER_API_KEY: apiKey, ACME__TOKEN: token };

let clock: ReturnType<typeof createManualClock>;
let lever: LeverSimulator;
let root: string;
let server: RunningServer;
/** While set, every wait the server asks for (Lever's retries, the worker's backoff) hangs until released. */
let held: { requested: Promise<void>; asked(): void; release(): void; released: Promise<void> } | null;

function hold(): NonNullable<typeof held> {
  let asked = () => {};
  let release = () => {};
  const requested = new Promise<void>((resolve) => {
    asked = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  held = { requested, asked, release, released };
  return held;
}

beforeEach(async () => {
  clock = createManualClock(Date.parse('2026-03-02T09:00:00Z'));
  held = null;
  lever = await startLeverSimulator({ apiKeys: [apiKey], rateLimit: false, now: () => clock.now() });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  root = await createWorkspace({ acme: sandboxTenant('acme', lever.baseUrl) });
  server = await startServer({
    cwd: root,
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      ...testStoreEnv(root),
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
      ...env,
    },
    logDestination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    clock,
    sleep: async (ms) => {
      const gate = held;
      if (gate) {
        gate.asked();
        await gate.released;
      }
      clock.advance(ms);
    },
  });
});

afterEach(async () => {
  held?.release();
  await server.close();
  await lever.close();
  await rm(root, { recursive: true, force: true });
});

const deliver = (opportunityId: string) =>
  lever.deliverWebhook({
    url: `${server.url}/webhooks/lever/acme`,
    event: 'candidateStageChange',
    data: { opportunityId, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
    signatureToken: token,
    triggeredAt: clock.now(),
  });

/** The samples of one metric, by their label text: `{queue="inbox"}` -> 1. */
async function scrape(name: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const samples: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) samples[match[2] ?? ''] = Number(match[3]);
  }
  return samples;
}

describe('GET /metrics: the work waiting and stuck, read from the store at each scrape', () => {
  it('shows a delivery in the inbox while Lever fails, and an empty inbox once it is decided', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    expect(await scrape('stagegate_queue_depth')).toEqual({ '{queue="inbox"}': 0, '{queue="outbox"}': 0 });

    const gate = hold();
    lever.fault({ status: 503, times: 1 });
    expect((await deliver(opportunity.id)).status).toBe(202);
    await gate.requested;
    expect(await scrape('stagegate_queue_depth')).toEqual({ '{queue="inbox"}': 1, '{queue="outbox"}': 0 });

    held = null;
    gate.release();
    await server.idle();
    expect(await server.store.listDecisions({ tenant: 'acme' })).toHaveLength(1);
    expect(await scrape('stagegate_queue_depth')).toEqual({ '{queue="inbox"}': 0, '{queue="outbox"}': 0 });
  });

  it('counts the actions waiting for a retry in the outbox', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    // Lever keeps failing the tag: the executor gives up on this try and schedules the next.
    lever.fault({ status: 503, path: /\/addTags$/, times: 1_000 });
    await deliver(opportunity.id);
    await server.idle();

    const actions = await server.store.listActions({ tenant: 'acme' });
    expect(actions.map((action) => action.status)).toEqual(['done', 'pending']);
    expect(await scrape('stagegate_queue_depth')).toEqual({ '{queue="inbox"}': 0, '{queue="outbox"}': 1 });
    expect(await scrape('stagegate_dead_letters')).toEqual({});
  });

  it('shows dead letters as they stand now, by tenant: a retried one leaves the gauge', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    lever.fault({ status: 400, path: /\/addTags$/, times: 1, message: 'tags rejected' });
    await deliver(opportunity.id);
    await server.idle();

    const [failed] = await server.store.listActions({ tenant: 'acme', status: 'failed' });
    expect(failed?.lastError).toMatch(/tags rejected/);
    expect(await scrape('stagegate_dead_letters')).toEqual({ '{tenant="acme"}': 1 });

    await server.pipeline.executor.retry(failed?.id ?? '');
    await server.idle();
    expect((await server.store.getAction(failed?.id ?? ''))?.status).toBe('done');
    expect(await scrape('stagegate_dead_letters')).toEqual({});
    // The counter keeps the history; the gauge says what is stuck now.
    expect(await scrape('stagegate_actions_total')).toMatchObject({
      '{tenant="acme",type="lever.addTags",outcome="failed"}': 1,
    });
  });
});
