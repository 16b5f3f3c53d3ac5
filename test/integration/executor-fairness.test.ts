import { afterEach, describe, expect, it, vi } from 'vitest';
import { emailOf, post, sendsByEmail, sentTag } from '../reliability/world.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('executor: one slow opportunity', () => {
  it("holds back only its own actions, not the next candidate's", async () => {
    world = await startWorld(['acme']);
    const { lever, vendor } = world;
    lever.addOpportunity({ id: 'opp-slow', stageId: 'stage-tech' });
    lever.addOpportunity({ id: 'opp-next', stageId: 'stage-tech' });
    // The first send_test is never answered; stagegate would wait a minute for it.
    vendor.fault({ path: /send_test/, timeout: true, times: 1 });
    const server = await startStagegate(world.root, { ...world.env, STAGEGATE_HTTP_TIMEOUT_SECONDS: '60' });
    const deliver = (opportunityId: string) =>
      post(lever, server.url, 'acme', {
        token: `stage-${opportunityId}`,
        kind: 'stage',
        opportunityId,
        triggeredAt: Date.now(),
      });
    try {
      expect(await deliver('opp-slow')).toBe(202);
      await vi.waitFor(() => expect(vendor.requests.some((r) => r.unanswered === 'timeout')).toBe(true), {
        timeout: 10_000,
      });

      expect(await deliver('opp-next')).toBe(202);
      // The executor's timer (every second) starts the next candidate's actions meanwhile.
      await vi.waitFor(() => expect(lever.getOpportunity('opp-next')?.tags).toEqual([sentTag]), {
        timeout: 10_000,
      });
      expect(sendsByEmail(vendor).get(emailOf('opp-next'))).toEqual(['sandbox-python']);
      const slow = await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-slow' });
      expect(slow.map((action) => action.status)).toContain('running');
    } finally {
      // The simulators go first: the hanging send then fails at once, and the server stops.
      await world.lever.close();
      await world.vendor.close();
      await server.close();
    }
  });
});
