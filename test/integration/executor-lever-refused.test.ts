import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { errorTag, post, sendsByEmail, sentTag } from '../reliability/world.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('executor: Lever refuses the tenant key while an action runs', () => {
  it('keeps the action waiting (retry-safe, no attempt spent, tenant degraded), never dead-lettered; it runs once the key works', async () => {
    world = await startWorld(['acme']);
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech' });
    const clock = createManualClock(Date.now());
    const adminToken = 'admin-token-for-a-refused-key-32-chars';
    const server = await startStagegate(
      world.root,
      { ...world.env, STAGEGATE_ADMIN_TOKEN: adminToken },
      [],
      clock,
    );
    try {
      // The delivery is read and decided; then the key is revoked before the tags go on.
      world.lever.fault({
        status: 401,
        path: /\/addTags$/,
        message: 'Invalid API key',
        times: Number.MAX_SAFE_INTEGER,
      });
      const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: clock.now() };
      expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
      await server.idle();
      const tagging = (await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' })).find(
        (action) => (action.action as { type: string }).type === 'lever.addTags',
      );
      if (tagging === undefined) throw new Error('no lever.addTags was decided');

      for (let round = 0; round < 20; round++) {
        expect(await server.store.getAction(tagging.id)).toMatchObject({
          status: 'pending',
          attempts: 0,
          failureClass: 'retry-safe',
          lastError: expect.stringMatching(/^Lever refused the API key \(401\)/),
        });
        clock.advance(60 * 60_000);
        await server.idle();
      }
      const readyz = await fetch(`${server.url}/readyz`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      // Ready: the key is the tenant's trouble. The tenant shows degraded.
      expect(readyz.status).toBe(200);
      const { detail } = (await readyz.json()) as { detail: Array<{ id: string; degraded: unknown }> };
      expect(detail.find((tenant) => tenant.id === 'acme')?.degraded).toMatchObject({
        reason: expect.stringMatching(/^Lever refused the API key \(401\)/),
      });
      // No Error tag or note: nothing failed for the candidate, the key did.
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([]);
      expect(world.lever.notes('opp-1')).toEqual([]);

      world.lever.clearFaults();
      clock.advance(60 * 60_000);
      await server.idle();
      expect(await server.store.getAction(tagging.id)).toMatchObject({ status: 'done', attempts: 1 });
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([sentTag]);
      expect(world.lever.getOpportunity('opp-1')?.tags).not.toContain(errorTag);
      expect(sendsByEmail(world.vendor).size).toBe(1);
    } finally {
      await server.close();
    }
  });
});
