import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { post, prefix } from '../reliability/world.js';
import { sandboxTenant, startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the sandbox vendor across a restart', () => {
  it('completes an invitation sent before the restart, and never reuses its id', async () => {
    world = await startWorld(['acme']);
    await writeFile(join(world.root, 'tenants', 'acme.yaml'), sandboxTenant('acme', world.lever.baseUrl));
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech' });
    world.lever.addOpportunity({ id: 'opp-2', stageId: 'stage-tech' });
    const deliver = (opportunityId: string) =>
      post(world?.lever as World['lever'], server.url, 'acme', {
        token: `stage-${opportunityId}`,
        kind: 'stage',
        opportunityId,
        triggeredAt: Date.now(),
      });

    let server = await startStagegate(world.root, world.env);
    expect(await deliver('opp-1')).toBe(202);
    await server.idle();
    const [before] = await server.store.listInvitations({ tenant: 'acme' });
    expect(before?.vendorInvitationId).toBe(`sbx-${before?.id}`);
    await server.close();

    server = await startStagegate(world.root, world.env);
    try {
      expect(await deliver('opp-2')).toBe(202);
      await server.idle();
      await server.pipeline.completeSandbox('acme', before?.id ?? '', 85);
      await server.idle();

      const invitations = await server.store.listInvitations({ tenant: 'acme' });
      expect(new Set(invitations.map((i) => i.vendorInvitationId)).size).toBe(2);
      expect(invitations.find((i) => i.opportunityId === 'opp-1')).toMatchObject({
        status: 'completed',
        score: 85,
      });
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([`${prefix} - Pass`]);
      expect(world.lever.getOpportunity('opp-2')?.tags).toEqual([`${prefix} - Sent`]);
    } finally {
      await server.close();
    }
  });
});
