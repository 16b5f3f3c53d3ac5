import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decide/types.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { testStoreEnv } from '../support/open-store.js';
import { createWorkspace, sandboxTenant } from '../support/start-stagegate.js';

const apiKey = 'acme-lever-key-for-outages';
const token = 'acme-webhook-token-for-outages';
const env = { ACME_LEVER_API_KEY: apiKey, ACME_TOKEN: token };
const minute = 60 * 1000;
const hour = 60 * minute;

let clock: ReturnType<typeof createManualClock>;
let lever: LeverSimulator;
let root: string;
/** When Lever comes back, on the manual clock; Infinity while it stays down. */
let leverBackAt: number;

interface LogLine {
  msg: string;
  attempt?: number;
  retryInMs?: number;
  opportunityId?: string;
}

beforeEach(async () => {
  clock = createManualClock(Date.parse('2026-03-02T09:00:00Z'));
  lever = await startLeverSimulator({ apiKeys: [apiKey], rateLimit: false, now: () => clock.now() });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  root = await createWorkspace({ acme: sandboxTenant('acme', lever.baseUrl) });
  leverBackAt = Number.POSITIVE_INFINITY;
});

afterEach(async () => {
  await lever.close();
  await rm(root, { recursive: true, force: true });
});

/** Lever answers 503 to everything until the manual clock reaches leverBackAt. */
function leverDown(): void {
  lever.fault({ status: 503, message: 'Lever is down', times: Number.MAX_SAFE_INTEGER });
}

/**
 * The real server on the manual clock. Every wait it asks for (the worker's backoff, the Lever
 * client's retries) moves the clock on at once, and Lever comes back once the clock passes leverBackAt.
 */
async function start(
  extraEnv: Record<string, string> = {},
  onLine: (line: LogLine) => void = () => {},
): Promise<RunningServer & { logged: LogLine[] }> {
  const logged: LogLine[] = [];
  const server = await startServer({
    cwd: root,
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'debug',
      ...testStoreEnv(root),
      ...env,
      ...extraEnv,
    },
    logDestination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const text of chunk.toString().split('\n').filter(Boolean)) {
          const line = JSON.parse(text) as LogLine;
          logged.push(line);
          onLine(line);
        }
        callback();
      },
    }),
    clock,
    sleep: async (ms) => {
      clock.advance(ms);
      if (clock.now() >= leverBackAt) lever.clearFaults();
    },
  });
  return Object.assign(server, { logged });
}

const deliver = (url: string, opportunityId: string) =>
  lever.deliverWebhook({
    url: `${url}/webhooks/lever/acme`,
    event: 'candidateStageChange',
    data: { opportunityId, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
    signatureToken: token,
    triggeredAt: clock.now(),
  });

const retries = (logged: LogLine[]) => logged.filter((line) => line.msg === 'delivery failed: will retry');

describe('the inbox worker while Lever is unavailable', () => {
  it('keeps a delivery pending through a six-hour outage, then decides it', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await start();
    try {
      const acceptedAt = clock.now();
      leverDown();
      leverBackAt = acceptedAt + 6 * hour;
      expect((await deliver(server.url, opportunity.id)).status).toBe(202);
      await server.idle();

      const [record] = await server.store.listDecisions({ tenant: 'acme' });
      expect((record?.decision as Decision | undefined)?.facts.stage.name).toBe('Technical Screen');
      expect(await server.store.pendingInbox()).toEqual([]);
      expect(clock.now()).toBeGreaterThanOrEqual(acceptedAt + 6 * hour);
      // Far more tries than the old limit of 12 (about 18 minutes), each wait capped at 15 minutes.
      const waits = retries(server.logged).map((line) => line.retryInMs ?? 0);
      expect(waits.length).toBeGreaterThan(24);
      expect(Math.max(...waits)).toBe(15 * minute);
      expect(lever.getOpportunity(opportunity.id)?.tags).toContain('Hired Assessments - Sent');
    } finally {
      await server.close();
    }
  });

  it('gives up once Lever has been down for the whole replay window, and records why', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await start({ STAGEGATE_REPLAY_WINDOW_HOURS: '3' });
    try {
      const acceptedAt = clock.now();
      leverDown();
      const answer = await deliver(server.url, opportunity.id);
      await server.idle();

      const item = await server.store.getInboxItem((answer.body as { id: string }).id);
      expect(item?.status).toBe('skipped');
      expect(item?.reason).toMatch(/^gave up after \d+ attempts over 3(\.\d)? h: Lever answered 503 /);
      expect(clock.now() - acceptedAt).toBeGreaterThanOrEqual(3 * hour);
      expect(clock.now() - acceptedAt).toBeLessThan(3 * hour + 20 * minute);
      expect(await server.store.listDecisions({ tenant: 'acme' })).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('skips a delivery at once, with the reason, when Lever refuses it for good', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await start();
    try {
      lever.fault({ status: 403, message: 'This key may not read opportunities', times: 1 });
      const answer = await deliver(server.url, opportunity.id);
      await server.idle();

      const item = await server.store.getInboxItem((answer.body as { id: string }).id);
      expect(item?.status).toBe('skipped');
      expect(item?.reason).toMatch(/Lever answered 403 .*This key may not read opportunities/);
      expect(retries(server.logged)).toEqual([]);
      expect(lever.requests.filter((request) => request.path.startsWith('/opportunities/'))).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('keeps retrying across a restart: the new process decides the delivery once Lever is back', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    leverDown();
    let retrying: () => void = () => {};
    const firstRetry = new Promise<void>((resolve) => {
      retrying = resolve;
    });
    const first = await start({}, (line) => {
      if (line.msg === 'delivery failed: will retry') retrying();
    });
    let inboxId: string;
    try {
      const answer = await deliver(first.url, opportunity.id);
      inboxId = (answer.body as { id: string }).id;
      await firstRetry;
    } finally {
      await first.close();
    }
    expect(first.logged.some((line) => line.msg.startsWith('delivery failed for good'))).toBe(false);

    lever.clearFaults();
    const second = await start();
    try {
      await second.idle();
      expect((await second.store.getInboxItem(inboxId))?.status).toBe('done');
      const [record] = await second.store.listDecisions({ tenant: 'acme' });
      expect(record?.inboxId).toBe(inboxId);
    } finally {
      await second.close();
    }
  });
});
