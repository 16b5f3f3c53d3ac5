import { afterEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decide/types.js';
import { post } from '../reliability/world.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the profile link the vendor gets', () => {
  it("is Lever's own urls.show for the opportunity (a sandbox Lever's, not hire.lever.co)", async () => {
    const hireUrl = 'https://hire.sandbox.lever.co';
    world = await startWorld(['acme'], { hireUrl });
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech' });
    const server = await startStagegate(world.root, world.env);
    try {
      const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: Date.now() };
      expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
      await server.idle();
      const sends = world.vendor.sends();
      expect(sends).toHaveLength(1);
      const candidate = sends[0]?.body.candidate as { greenhouse_profile_url?: unknown } | undefined;
      expect(candidate?.greenhouse_profile_url).toBe(`${hireUrl}/candidates/opp-1`);
      const [decision] = await server.store.listDecisions({ tenant: 'acme' });
      expect((decision?.decision as Decision | undefined)?.facts.candidate.profileUrl).toBe(
        `${hireUrl}/candidates/opp-1`,
      );
    } finally {
      await server.close();
    }
  });
});
