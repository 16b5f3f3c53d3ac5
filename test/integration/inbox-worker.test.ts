import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decide/types.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { basicAuthorization } from '../../src/kernel/http-auth.js';
import { startServer } from '../../src/main.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { openStore, testStoreEnv } from '../support/open-store.js';
import { createWorkspace, sandboxTenant, startStagegate } from '../support/start-stagegate.js';

const apiKey = 'acme-lever-key-for-tests';
const token = 'acme-webhook-token-for-tests';
const env = { ACME__LEVER_API_KEY: apiKey, ACME__TOKEN: token };

let lever: LeverSimulator;
let root: string;

beforeEach(async () => {
  lever = await startLeverSimulator({ apiKeys: [apiKey], rateLimit: false });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  lever.addPosting({ id: 'posting-fe', text: 'Senior Frontend Engineer' });
  root = await createWorkspace({ acme: sandboxTenant('acme', lever.baseUrl) });
});

afterEach(async () => {
  await lever.close();
  await rm(root, { recursive: true, force: true });
});

const deliver = (url: string, event: string, data: Record<string, unknown>, extra: { token?: string } = {}) =>
  lever.deliverWebhook({ url: `${url}/webhooks/lever/acme`, event, data, signatureToken: token, ...extra });

describe('the inbox worker: delivery -> facts from Lever -> decision -> outbox', () => {
  it('decides a stage change from Lever state, and the executor carries the actions out', async () => {
    const opportunity = lever.addOpportunity({
      stageId: 'stage-tech',
      emails: ['ada@example.com'],
      tags: ['Frontend - React'],
    });
    const server = await startStagegate(root, env);
    try {
      const answer = await deliver(server.url, 'candidateStageChange', {
        opportunityId: opportunity.id,
        toStageId: 'stage-tech',
        fromStageId: 'stage-phone',
      });
      expect(answer.status).toBe(202);
      await server.idle();
      const [record] = await server.store.listDecisions({ tenant: 'acme' });
      const decision = record?.decision as Decision;
      expect(decision.facts.stage).toMatchObject({
        name: 'Technical Screen',
        fromName: 'Phone Screen',
        isTrigger: true,
      });
      expect(decision.actions).toEqual([
        { type: 'assessment.send', test: 'Frontend - React', providerTestId: 'sandbox-react' },
        { type: 'lever.addTags', tags: ['Hired Assessments - Sent'] },
      ]);
      const actions = await server.store.listActions({ tenant: 'acme' });
      expect(actions.map((a) => [a.id, a.status])).toEqual([
        [`${decision.id}:0`, 'done'],
        [`${decision.id}:1`, 'done'],
      ]);
      expect(lever.getOpportunity(opportunity.id)?.tags).toContain('Hired Assessments - Sent');
      expect(lever.requests.some((r) => r.path === `/opportunities/${opportunity.id}`)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('reads Lever again for a minute while it disagrees with the payload, then skips, and records why', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-phone', emails: ['ada@example.com'] });
    const clock = createManualClock(Date.now());
    const server = await startStagegate(root, env, [], clock);
    try {
      const acceptedAt = clock.now();
      // The payload claims Technical Screen; Lever keeps saying Phone Screen.
      const answer = await deliver(server.url, 'candidateStageChange', {
        opportunityId: opportunity.id,
        toStageId: 'stage-tech',
      });
      await server.idle();
      expect(await server.store.listDecisions({ tenant: 'acme' })).toEqual([]);
      const item = await server.store.getInboxItem((answer.body as { id: string }).id);
      expect(item?.status).toBe('skipped');
      expect(item?.reason).toMatch(/payload says stage stage-tech but Lever says stage-phone/);
      // Read at 0, 1, 3, 7, 15, 31 s and at the minute: then given up, not before.
      const reads = lever.requests.filter((r) => r.path === `/opportunities/${opportunity.id}`);
      expect(reads).toHaveLength(7);
      expect(server.sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 29_000]);
      expect(clock.now() - acceptedAt).toBe(60_000);
      const logged = server.lines.map((line) => JSON.parse(line) as { msg: string });
      expect(
        logged.filter((line) => line.msg === 'delivery disagrees with Lever: reading again'),
      ).toHaveLength(6);
    } finally {
      await server.close();
    }
  });

  it('decides once Lever catches up with the payload (its read lagged the webhook)', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-phone', emails: ['ada@example.com'] });
    const clock = createManualClock(Date.now());
    const moves: number[] = [];
    const server = await startServer({
      cwd: root,
      env: {
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        ...testStoreEnv(root),
        STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
        ...env,
      },
      clock,
      // The first wait is the worker's, before its second read: Lever has the move by then.
      sleep: async (ms) => {
        clock.advance(ms);
        if (moves.length === 0) {
          moves.push(ms);
          const response = await fetch(`${lever.baseUrl}/opportunities/${opportunity.id}/stage`, {
            method: 'PUT',
            headers: {
              authorization: basicAuthorization(apiKey),
              'content-type': 'application/json',
            },
            body: JSON.stringify({ stage: 'stage-tech' }),
          });
          expect(response.status).toBe(200);
        }
      },
    });
    try {
      await deliver(server.url, 'candidateStageChange', {
        opportunityId: opportunity.id,
        toStageId: 'stage-tech',
        fromStageId: 'stage-phone',
      });
      await server.idle();
      expect(moves).toEqual([1_000]);
      const [record] = await server.store.listDecisions({ tenant: 'acme' });
      expect((record?.decision as Decision | undefined)?.facts.stage.name).toBe('Technical Screen');
      expect(lever.getOpportunity(opportunity.id)?.tags).toContain('Hired Assessments - Sent');
      const reads = lever.requests.filter((r) => r.path === `/opportunities/${opportunity.id}`);
      expect(reads.length).toBeGreaterThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  it('processes the events of one opportunity one at a time, in arrival order', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    lever.fault({ times: 1, latencyMs: 150, path: /\/opportunities\// });
    const server = await startStagegate(root, env);
    try {
      const first = await deliver(server.url, 'candidateStageChange', {
        opportunityId: opportunity.id,
        toStageId: 'stage-tech',
      });
      const second = await deliver(server.url, 'candidateHired', { opportunityId: opportunity.id });
      expect([first.status, second.status]).toEqual([202, 202]);
      await server.idle();
      const decisions = await server.store.listDecisions({ tenant: 'acme', opportunityId: opportunity.id });
      const order = decisions
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((d) => (d.decision as Decision).event.type);
      expect(order).toEqual(['candidateStageChange', 'candidateHired']);
      const opportunityReads = lever.requests.filter((r) => r.path === `/opportunities/${opportunity.id}`);
      expect(opportunityReads).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('retries while Lever fails, then decides', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    lever.fault({ times: 2, status: 503, path: /\/opportunities\// });
    const server = await startStagegate(root, env);
    try {
      await deliver(server.url, 'candidateStageChange', {
        opportunityId: opportunity.id,
        toStageId: 'stage-tech',
      });
      await server.idle();
      expect(await server.store.listDecisions({ tenant: 'acme' })).toHaveLength(1);
      const reads = lever.requests.filter((r) => r.path === `/opportunities/${opportunity.id}`);
      expect(reads.map((r) => r.status)).toEqual([503, 503, 200]);
    } finally {
      await server.close();
    }
  });

  it('decides, after a restart, what was accepted but not yet decided when the process stopped', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    // A delivery accepted (durable) by a process that died before deciding it.
    const store = await openStore(join(root, 'data'));
    await store.acceptDelivery({
      tenant: 'acme',
      token: 'left-over',
      event: 'candidateStageChange',
      triggeredAt: Date.now(),
      opportunityId: opportunity.id,
      payload: {
        event: 'candidateStageChange',
        data: { opportunityId: opportunity.id, toStageId: 'stage-tech' },
      },
    });
    await store.close();

    const server = await startStagegate(root, env);
    try {
      await server.idle();
      expect(await server.store.pendingInbox()).toEqual([]);
      const records = await server.store.listDecisions({ tenant: 'acme' });
      expect(records.map((record) => (record.decision as Decision).event.id)).toEqual(['left-over']);
    } finally {
      await server.close();
    }
  });
});
