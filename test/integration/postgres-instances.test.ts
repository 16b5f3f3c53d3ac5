// Two instances of the service in this process on one PostgreSQL database: one candidate's
// deliveries land on both, alternately, and are decided one at a time, in the order they arrived.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { usePostgresDatabase } from '../support/postgres-test-database.js';
import { databaseUrlForDir } from '../support/schema-for-dir.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const database = await usePostgresDatabase('postgres-instances.test.ts');

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(() => world.close());

describe.skipIf(database === undefined)('two instances on one PostgreSQL database', () => {
  it("decides one candidate's deliveries in arrival order, whichever instance took each", async () => {
    const env = {
      ...world.env,
      STAGEGATE_STORE: 'postgres',
      DATABASE_URL: databaseUrlForDir(database?.url ?? '', join(world.root, 'data')),
    };
    const candidate = world.lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    // Each read of the candidate takes a while: without claims, the two would decide at once.
    world.lever.fault({ method: 'GET', path: /^\/opportunities\/[^/]+$/, latencyMs: 150, times: 1_000 });
    const [a, b] = [await startStagegate(world.root, env), await startStagegate(world.root, env)];
    try {
      const tokens = ['move-1', 'move-2', 'move-3', 'move-4', 'move-5', 'move-6'];
      for (const [n, token] of tokens.entries()) {
        const answer = await world.lever.deliverWebhook({
          url: `${(n % 2 === 0 ? a : b).url}/webhooks/lever/acme`,
          event: 'candidateStageChange',
          data: { opportunityId: candidate.id, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
          signatureToken: world.env.ACME__TOKEN ?? '',
          token,
          triggeredAt: Date.now() - (tokens.length - n) * 1000,
        });
        expect(answer.status).toBe(202);
      }
      for (let round = 0; (await a.store.pendingInbox()).length > 0; round++) {
        if (round > 100) throw new Error('the deliveries were never all decided');
        await Promise.all([a.idle(), b.idle()]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await Promise.all([a.idle(), b.idle()]);

      const arrived = (await a.store.listInbox({ tenant: 'acme' })).map((item) => item.token);
      expect(arrived).toEqual(tokens);
      const items = new Map((await a.store.listInbox({ tenant: 'acme' })).map((item) => [item.id, item]));
      const decided = (await a.store.listDecisions({ tenant: 'acme', opportunityId: candidate.id }))
        .sort((x, y) => x.createdAt - y.createdAt)
        .map((decision) => items.get(decision.inboxId ?? '')?.token);
      // Decided in arrival order (the second and later moves are decided too: their decisions send nothing).
      expect(decided).toEqual(tokens.filter((token) => decided.includes(token)));
      expect(decided[0]).toBe('move-1');
      expect(world.vendor.sends()).toHaveLength(1);
      // Each delivery was read from Lever by one instance only, once: never by both at once.
      const reads = world.lever.requests.filter(
        (request) => request.method === 'GET' && request.path === `/opportunities/${candidate.id}`,
      );
      expect(reads.length).toBeLessThanOrEqual(tokens.length);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
