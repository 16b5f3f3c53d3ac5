import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { basicAuthorization } from '../../src/kernel/http-auth.js';
import type { ActionRecord } from '../../src/store/types.js';
import { errorTag, post, prefix, sentTag, tenantEnv } from '../reliability/world.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const adminToken = 'admin-token-status-tags-long-enough-to-serve';
const statusTagsOf = (tags: readonly string[] = []) => tags.filter((tag) => tag.startsWith(`${prefix} - `));

let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('executor: a candidate ends with exactly one status tag', () => {
  it('replaces the Error tag of a permanent failure when a retried send adds Sent', async () => {
    world = await startWorld(['acme']);
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech', tags: ['Referral'] });
    world.vendor.fault({ path: /send_test/, status: 400, errors: ['test t-101 is paused'], times: 1 });
    const server = await startStagegate(world.root, { ...world.env, STAGEGATE_ADMIN_TOKEN: adminToken });
    try {
      const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: Date.now() };
      expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
      await server.idle();
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual(['Referral', errorTag]);
      const [send] = await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' });

      // The vendor's test is back on; an operator retries the send through the admin API.
      const answer = await fetch(`${server.url}/admin/actions/${send?.id}/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as { action: ActionRecord; resumed: ActionRecord[] };
      expect(body.action).toMatchObject({ id: send?.id, status: 'pending', attempts: 0 });
      expect(body.resumed.map((record) => (record.action as { type: string }).type)).toEqual([
        'lever.addTags',
      ]);
      await server.idle();

      expect(world.vendor.sends()).toHaveLength(1);
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual(['Referral', sentTag]);
      const actions = await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' });
      expect(actions.map((a) => a.status)).toEqual(['done', 'done']);
      expect(actions[1]?.result).toEqual({ tags: [sentTag], removed: [errorTag] });
    } finally {
      await server.close();
    }
  });

  it('reports a failure with the Error tag alone, whatever status tag the candidate got since the decision', async () => {
    world = await startWorld(['acme']);
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech' });
    world.vendor.fault({ path: /send_test/, status: 503, times: 1 });
    world.vendor.fault({ path: /send_test/, status: 400, errors: ['invalid email'], times: 1 });
    const clock = createManualClock(Date.now());
    const server = await startStagegate(world.root, world.env, [], clock);
    try {
      const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: clock.now() };
      expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
      await server.idle();
      // While the send waits for its retry, someone in Lever puts a status tag on the candidate.
      const apiKey = tenantEnv('acme').ACME__LEVER_API_KEY ?? '';
      const added = await fetch(`${world.lever.baseUrl}/opportunities/opp-1/addTags`, {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(apiKey),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ tags: [`${prefix} - Needs Review`] }),
      });
      expect(added.status).toBe(200);

      clock.advance(10 * 60_000);
      await server.idle();
      const [send] = await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' });
      expect(send).toMatchObject({ status: 'failed', lastError: expect.stringContaining('invalid email') });
      expect(statusTagsOf(world.lever.getOpportunity('opp-1')?.tags)).toEqual([errorTag]);
    } finally {
      await server.close();
    }
  });
});
