import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { addNoteOnce } from '../../src/execute/actions/lever-actions.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { createLeverClient } from '../../src/lever/create-lever-client.js';
import { createBucketRegistry } from '../../src/lever/rate-limit.js';
import { errorTag, post } from '../reliability/world.js';
import { startLeverSimulator } from '../support/lever-simulator.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('notes in Lever, which have no idempotency key', () => {
  // Lever took the note, then the answer was lost, or a gateway answered 502 or 504 after it: in
  // doubt for the client, which does not resend; the action's retry looks first and finds it.
  it.each([
    ['the answer was lost', { lostAnswer: true }],
    ['a 502 came back', { status: 502, acted: true }],
    ['a 504 came back', { status: 504, acted: true }],
  ] as const)('adds a note once when Lever took it but %s', async (_what, fault) => {
    world = await startWorld(['acme']);
    // No e-mail: nothing can be sent, so the rules add the Error tag and a note saying why.
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech', emails: [] });
    world.lever.fault({ path: /notes$/, method: 'POST', times: 1, ...fault });
    const clock = createManualClock(Date.now());
    const server = await startStagegate(world.root, world.env, [], clock);
    try {
      const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: clock.now() };
      expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
      await server.idle();
      const [note] = await server.store
        .listActions({ tenant: 'acme', opportunityId: 'opp-1' })
        .then((all) => all.filter((a) => (a.action as { type: string }).type === 'lever.addNote'));
      expect(note).toMatchObject({ status: 'pending', attempts: 1, failureClass: 'retry-safe' });
      expect(world.lever.notes('opp-1')).toHaveLength(1);

      clock.advance(60_000); // past the first retry's wait
      await server.idle();
      expect(await server.store.getAction(note?.id ?? '')).toMatchObject({
        status: 'done',
        result: { noteId: world.lever.notes('opp-1')[0]?.id, earlier: true },
      });
      expect(world.lever.notes('opp-1')).toHaveLength(1);
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([errorTag]);
    } finally {
      await server.close();
    }
  });
});

describe('the line that ends every note', () => {
  const apiKey = 'lever-key-notes';
  const setup = async () => {
    const lever = await startLeverSimulator({ apiKeys: [apiKey] });
    lever.addStage({ id: 'stage-1', text: 'Technical Screen' });
    lever.addOpportunity({ id: 'opp-1', stageId: 'stage-1', emails: ['ada@example.com'] });
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const sleep = async (ms: number) => clock.advance(ms);
    const client = createLeverClient({
      baseUrl: lever.baseUrl,
      apiKey,
      clock,
      sleep,
      buckets: createBucketRegistry({ clock, sleep }),
      log: pino({ level: 'silent' }),
    });
    return { lever, client };
  };

  it('reads as a sentence a recruiter understands, and carries the reference a retry finds', async () => {
    const { lever, client } = await setup();
    try {
      const first = await addNoteOnce(client, 'opp-1', {
        text: 'Score: 85.',
        reference: 'dec_1:2',
        mayExist: false,
      });
      expect(lever.notes('opp-1').map((note) => note.value)).toEqual([
        'Score: 85.\n\nSent by stagegate (reference dec_1:2)',
      ]);
      const again = await addNoteOnce(client, 'opp-1', {
        text: 'Score: 85.',
        reference: 'dec_1:2',
        mayExist: true,
      });
      expect(again).toEqual({ noteId: first.noteId, earlier: true });
      // Another action's reference is not this one's, even when one is the other's prefix.
      await addNoteOnce(client, 'opp-1', { text: 'Other.', reference: 'dec_1:2 failed', mayExist: true });
      expect(lever.notes('opp-1')).toHaveLength(2);
    } finally {
      await lever.close();
    }
  });

  it('still finds a note written in the old format (— stagegate <reference>), already in Lever', async () => {
    const { lever, client } = await setup();
    try {
      const old = await client.addNote('opp-1', 'Score: 85.\n\n— stagegate dec_9:1');
      const retried = await addNoteOnce(client, 'opp-1', {
        text: 'Score: 85.',
        reference: 'dec_9:1',
        mayExist: true,
      });
      expect(retried).toEqual({ noteId: old, earlier: true });
      expect(lever.notes('opp-1')).toHaveLength(1);
    } finally {
      await lever.close();
    }
  });
});
