import { writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { invitationIdOf } from '../../src/kernel/invitation-id.js';
import { emailOf, post, sendsByEmail, sentTag } from '../reliability/world.js';
import { partnerTenant, startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A port nothing listens on: taken, then released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The vendor coming back up at `port`: every connection there is piped to the vendor simulator. */
async function forward(port: number, to: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const upstream = connect(to, '127.0.0.1');
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('close', () => sockets.delete(end));
    }
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('executor: a vendor that cannot be reached at all', () => {
  it('keeps retrying a send while nothing listens at the vendor, then sends it exactly once', async () => {
    world = await startWorld(['acme']);
    // The tenant's vendor is at a port where nothing listens: every connection is refused.
    const port = await freePort();
    await writeFile(
      join(world.root, 'tenants', 'acme.yaml'),
      partnerTenant('acme', world.lever.baseUrl, `http://127.0.0.1:${port}/partner`),
    );
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech' });
    const clock = createManualClock(Date.now());
    const server = await startStagegate(world.root, world.env, [], clock);
    let vendorUp: { close(): Promise<void> } | undefined;
    try {
      const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: clock.now() };
      expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
      await server.idle();
      const [send] = (await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' })).filter(
        (action) => (action.action as { type: string }).type === 'assessment.send',
      );
      if (send === undefined) throw new Error('no assessment.send was decided');

      for (let attempts = 1; attempts <= 3; attempts++) {
        expect(await server.store.getAction(send.id)).toMatchObject({
          status: 'pending',
          attempts,
          lastError: expect.stringMatching(
            /^Could not connect to the assessment vendor for POST \/send_test: .*ECONNREFUSED/,
          ),
        });
        // Certainly not received: the next attempt may send.
        expect((await server.store.getInvitation(invitationIdOf(send.id)))?.status).toBe('failed');
        clock.advance(10 * 60_000); // past the next wait of the retry schedule
        if (attempts === 3) vendorUp = await forward(port, Number(new URL(world.vendor.baseUrl).port));
        await server.idle();
      }

      expect(await server.store.getAction(send.id)).toMatchObject({ status: 'done', attempts: 4 });
      expect(sendsByEmail(world.vendor).get(emailOf('opp-1'))).toEqual(['sandbox-python']);
      expect(world.vendor.requests.filter((request) => request.path === '/send_test')).toHaveLength(1);
      expect(await server.store.getInvitation(invitationIdOf(send.id))).toMatchObject({
        status: 'sent',
        vendorInvitationId: world.vendor.sends()[0]?.partnerInterviewId,
      });
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([sentTag]);
      expect(world.lever.notes('opp-1')).toEqual([]);
    } finally {
      await server.close();
      await vendorUp?.close();
    }
  });
});
