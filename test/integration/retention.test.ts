import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { createWorkspace, sandboxTenant, startStagegate } from '../support/start-stagegate.js';

const apiKey = 'acme-lever-key-for-retention';
const token = 'acme-webhook-token-for-retention';
const env = { ACME__LEVER_API_KEY: apiKey, ACME__TOKEN: token };
const minute = 60 * 1000;
const hour = 60 * minute;
const day = 24 * hour;

let clock: ReturnType<typeof createManualClock>;
let lever: LeverSimulator;
let root: string;

beforeEach(async () => {
  clock = createManualClock(Date.parse('2026-03-02T09:00:00Z'));
  lever = await startLeverSimulator({ apiKeys: [apiKey], rateLimit: false, now: () => clock.now() });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  root = await createWorkspace({ acme: sandboxTenant('acme', lever.baseUrl) });
});

afterEach(async () => {
  await lever.close();
  await rm(root, { recursive: true, force: true });
});

const deliver = (url: string, opportunityId: string, extra: { token?: string; triggeredAt?: number } = {}) =>
  lever.deliverWebhook({
    url: `${url}/webhooks/lever/acme`,
    event: 'candidateStageChange',
    data: { opportunityId, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
    signatureToken: token,
    triggeredAt: extra.triggeredAt ?? clock.now(),
    ...(extra.token === undefined ? {} : { token: extra.token }),
  });

const pruneLogs = (lines: string[]) =>
  lines
    .map((line) => JSON.parse(line) as { msg: string; pruned?: Record<string, number> })
    .filter((line) => line.msg === 'retention: pruned finished records');

describe('retention: finished records are pruned by the running service', () => {
  it('prunes a decided delivery, its decision and its done actions after 30 days; logs and counts it', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await startStagegate(root, env, [], clock);
    try {
      expect((await deliver(server.url, opportunity.id)).status).toBe(202);
      await server.idle();
      const [decision] = await server.store.listDecisions({ tenant: 'acme' });
      const actions = await server.store.listActions({ tenant: 'acme' });
      expect(decision).toBeDefined();
      expect(actions.map((action) => action.status)).toEqual(['done', 'done']);

      // Past the replay window, only the dedupe token goes; the decision is kept for 30 days.
      clock.advance(29 * day);
      expect(await server.pipeline.prune()).toEqual({
        inbox: [],
        decisions: [],
        actions: [],
        dedupeTokens: 1,
      });
      expect(await server.store.getDecision(decision?.id ?? '')).toBeDefined();

      clock.advance(2 * day);
      const report = await server.pipeline.prune();
      expect(report).toEqual({
        inbox: [decision?.inboxId],
        decisions: [decision?.id],
        actions: actions.map((action) => action.id),
        dedupeTokens: 0,
      });
      expect(await server.store.getDecision(decision?.id ?? '')).toBeUndefined();
      expect(await server.store.listActions({ tenant: 'acme' })).toEqual([]);

      expect(pruneLogs(server.lines).at(-1)?.pruned).toEqual({
        inbox: 1,
        decisions: 1,
        actions: 2,
        dedupe_tokens: 0,
      });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^stagegate_pruned_total\{kind="decisions"\} 1$/m);
      expect(metrics).toMatch(/^stagegate_pruned_total\{kind="actions"\} 2$/m);
      expect(metrics).toMatch(/^stagegate_pruned_total\{kind="dedupe_tokens"\} 1$/m);
    } finally {
      await server.close();
    }
  });

  it('prunes at start, keeping decisions for STAGEGATE_RETENTION_DAYS', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const retentionEnv = { ...env, STAGEGATE_RETENTION_DAYS: '2' };
    const first = await startStagegate(root, retentionEnv, [], clock);
    let decisionId: string | undefined;
    try {
      await deliver(first.url, opportunity.id);
      await first.idle();
      decisionId = (await first.store.listDecisions({ tenant: 'acme' }))[0]?.id;
      expect(decisionId).toBeDefined();
    } finally {
      await first.close();
    }

    clock.advance(3 * day + hour);
    const second = await startStagegate(root, retentionEnv, [], clock);
    try {
      expect(await second.store.getDecision(decisionId ?? '')).toBeUndefined();
      expect(pruneLogs(second.lines).map((line) => line.pruned)).toEqual([
        { inbox: 1, decisions: 1, actions: 2, dedupe_tokens: 1 },
      ]);
    } finally {
      await second.close();
    }
  });
});

describe('dedupe tokens live as long as the replay window', () => {
  it('answers a resend 100 h later as a duplicate when the window is 168 h', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await startStagegate(root, { ...env, STAGEGATE_REPLAY_WINDOW_HOURS: '168' }, [], clock);
    try {
      const triggeredAt = clock.now();
      expect((await deliver(server.url, opportunity.id, { token: 'week-old', triggeredAt })).status).toBe(
        202,
      );
      clock.advance(100 * hour);
      await server.pipeline.prune();
      expect(await deliver(server.url, opportunity.id, { token: 'week-old', triggeredAt })).toMatchObject({
        status: 200,
        body: { status: 'duplicate' },
      });
      await server.idle();
      expect(await server.store.listDecisions({ tenant: 'acme' })).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('covers a delivery signed up to 5 minutes ahead of our clock until it is refused as too old', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await startStagegate(root, { ...env, STAGEGATE_REPLAY_WINDOW_HOURS: '168' }, [], clock);
    try {
      const triggeredAt = clock.now() + 5 * minute;
      const resend = () => deliver(server.url, opportunity.id, { token: 'ahead', triggeredAt });
      expect((await resend()).status).toBe(202);
      // 168 h 4 min after it was received, it is still inside the window by its own time.
      clock.advance(168 * hour + 4 * minute);
      await server.pipeline.prune();
      expect(await resend()).toMatchObject({ status: 200, body: { status: 'duplicate' } });
      clock.advance(2 * minute);
      expect(await resend()).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED' } });
    } finally {
      await server.close();
    }
  });
});
