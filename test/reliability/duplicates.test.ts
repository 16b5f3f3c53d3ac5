import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startStagegate } from '../support/start-stagegate.js';
import {
  type Delivery,
  emailOf,
  errorTag,
  post,
  reactTag,
  sendsByEmail,
  sentTag,
  startWorld,
} from './world.js';

/** One candidate: what Lever holds, and which distinct deliveries Lever makes about them. */
const candidateArbitrary = fc.record({
  testTag: fc.boolean(),
  archived: fc.boolean(),
  // One distinct move into the trigger stage at most; two distinct moves have a test of their own below.
  stageChanges: fc.integer({ min: 0, max: 1 }),
  hired: fc.boolean(),
});
type Candidate = ReturnType<typeof candidateArbitrary.generate>['value'];

/** Each distinct delivery with how many times Lever sends it (1 to 5), then every copy shuffled. */
const scenarioArbitrary = fc.array(candidateArbitrary, { minLength: 2, maxLength: 5 }).chain((candidates) => {
  const now = Date.now();
  const deliveries: Delivery[] = candidates.flatMap((candidate, n) => {
    const opportunityId = `opp-${n}`;
    const make = (kind: Delivery['kind'], i: number): Delivery => ({
      token: `${kind}-${n}-${i}`,
      kind,
      opportunityId,
      triggeredAt: now - 1_000 + i,
    });
    return [
      ...Array.from({ length: candidate.stageChanges }, (_, i) => make('stage', i)),
      ...(candidate.hired ? [make('hired', 0)] : []),
      ...(candidate.archived ? [make('archived', 0)] : []),
    ];
  });
  return fc
    .tuple(
      fc.constant(candidates),
      fc.array(fc.integer({ min: 1, max: 5 }), {
        minLength: deliveries.length,
        maxLength: deliveries.length,
      }),
    )
    .chain(([candidates, copies]) => {
      const all = deliveries.flatMap((delivery, i) => Array<Delivery>(copies[i] ?? 1).fill(delivery));
      return fc
        .shuffledSubarray(all, { minLength: all.length, maxLength: all.length })
        .map((order) => ({ candidates, deliveries, order }));
    });
});

let runs = 0;
let posted = 0;
let duplicatesInjected = 0;

describe('duplicates: Lever delivers each event 1 to 5 times, shuffled', () => {
  it('sends exactly one invitation per candidate and test, and tags as one clean delivery would', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async ({ candidates, deliveries, order }) => {
        runs += 1;
        const world = await startWorld();
        const seedOf = (candidate: Candidate) => ({
          tags: candidate.testTag ? [reactTag] : [],
          archived: candidate.archived ? { reason: 'reason-hired-elsewhere', archivedAt: Date.now() } : null,
        });
        candidates.forEach((candidate, n) => {
          world.lever.addOpportunity({ id: `opp-${n}`, stageId: 'stage-tech', ...seedOf(candidate) });
        });
        const server = await startStagegate(world.root, world.env);
        try {
          // Four in flight at a time: copies of one delivery can race each other into the inbox.
          const statuses: { token: string; status: number | null }[] = [];
          for (let i = 0; i < order.length; i += 4) {
            const batch = order.slice(i, i + 4);
            const answers = await Promise.all(
              batch.map((delivery) => post(world.lever, server.url, 'acme', delivery)),
            );
            answers.forEach((status, j) => {
              statuses.push({ token: batch[j]?.token ?? '', status });
            });
          }
          posted += order.length;
          duplicatesInjected += order.length - deliveries.length;
          await server.idle();

          for (const delivery of deliveries) {
            const answers = statuses.filter((s) => s.token === delivery.token).map((s) => s.status);
            expect(answers.filter((status) => status === 202)).toHaveLength(1);
            expect(answers.every((status) => status === 202 || status === 200)).toBe(true);
          }
          const sends = sendsByEmail(world.vendor);
          candidates.forEach((candidate, n) => {
            const id = `opp-${n}`;
            const expectedTest = candidate.testTag ? 'sandbox-react' : 'sandbox-python';
            const tags = [...(world.lever.getOpportunity(id)?.tags ?? [])].sort();
            // An archived candidate is out of the process: a move into the trigger stage sends nothing.
            if (candidate.stageChanges === 0 || candidate.archived) {
              expect(sends.get(emailOf(id)) ?? [], id).toEqual([]);
              expect(tags, id).toEqual(seedOf(candidate).tags);
            } else {
              expect(sends.get(emailOf(id)), id).toEqual([expectedTest]);
              expect(tags, id).toEqual([...seedOf(candidate).tags, sentTag].sort());
            }
          });
          const invitations = await server.store.listInvitations({ tenant: 'acme' });
          expect(invitations.filter((i) => i.vendorInvitationId)).toHaveLength(world.vendor.sends().length);
          const open = await server.store.listActions({ tenant: 'acme' });
          expect(open.filter((a) => a.status !== 'done')).toEqual([]);
        } finally {
          await server.close();
          await world.close();
        }
      }),
      // The seed and the shrunk counterexample are printed when the property fails.
      { numRuns: 15, verbose: 1 },
    );
    console.info(
      `duplicates: ${runs} runs, ${posted} deliveries posted, ${duplicatesInjected} duplicates injected`,
    );
  }, 60_000);

  // The vendor (or its gateway) carries some sends out and then answers 500, 502 or 504, or drops
  // the connection, while Lever redelivers each move 1 to 5 times: never a second invitation.
  it('sends at most one invitation per candidate when the vendor acts and then fails, under redeliveries', async () => {
    const planArbitrary = fc.record({
      candidates: fc.integer({ min: 2, max: 5 }),
      copies: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 5, maxLength: 5 }),
      faults: fc.array(
        fc.oneof(
          fc.record({ status: fc.constantFrom(500, 502, 504), acted: fc.constant(true) }),
          fc.record({ lostAnswer: fc.constant(true) }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      seed: fc.integer(),
    });
    await fc.assert(
      fc.asyncProperty(planArbitrary, async ({ candidates, copies, faults, seed }) => {
        const world = await startWorld();
        const ids = Array.from({ length: candidates }, (_, n) => `opp-${n}`);
        for (const id of ids) world.lever.addOpportunity({ id, stageId: 'stage-tech' });
        for (const fault of faults) world.vendor.fault({ path: /send_test/, ...fault });
        const server = await startStagegate(world.root, world.env);
        try {
          const now = Date.now();
          const deliveries: Delivery[] = ids.flatMap((opportunityId, n) =>
            Array<Delivery>(copies[n] ?? 1).fill({
              token: `stage-${opportunityId}`,
              kind: 'stage',
              opportunityId,
              triggeredAt: now,
            }),
          );
          // A fixed shuffle per seed, four in flight at a time.
          const order = deliveries
            .map((delivery, i) => ({ delivery, key: Math.sin(seed + i) }))
            .sort((a, b) => a.key - b.key)
            .map((entry) => entry.delivery);
          for (let i = 0; i < order.length; i += 4) {
            await Promise.all(
              order.slice(i, i + 4).map((delivery) => post(world.lever, server.url, 'acme', delivery)),
            );
          }
          await server.idle();

          const sends = sendsByEmail(world.vendor);
          const actions = await server.store.listActions({ tenant: 'acme' });
          const invitations = await server.store.listInvitations({ tenant: 'acme' });
          for (const id of ids) {
            expect((sends.get(emailOf(id)) ?? []).length, id).toBeLessThanOrEqual(1);
            const send = actions.find(
              (a) => a.opportunityId === id && (a.action as { type: string }).type === 'assessment.send',
            );
            const recorded = invitations.find((i) => i.opportunityId === id)?.vendorInvitationId;
            if (send?.status === 'done') {
              expect(sends.get(emailOf(id)), id).toEqual(['sandbox-python']);
              expect(recorded, id).toBeDefined();
            } else {
              // In doubt: failed for an operator to check, with the Error tag; the vendor may have it.
              expect(send, id).toMatchObject({ status: 'failed', failureClass: 'in-doubt' });
              expect(recorded, id).toBeUndefined();
              expect(world.lever.getOpportunity(id)?.tags, id).toEqual([errorTag]);
            }
          }
          expect(actions.filter((a) => a.status === 'pending' || a.status === 'running')).toEqual([]);
        } finally {
          await server.close();
          await world.close();
        }
      }),
      { numRuns: 8, verbose: 1 },
    );
  }, 60_000);

  // Two distinct moves into the trigger stage, the second decided before the first decision's
  // assessment.send has run: the send waiting in the outbox counts as an invitation for the resend
  // policy, so the candidate gets one invitation (`resend: never`).
  it('sends one invitation when two distinct moves into the trigger stage arrive back to back', async () => {
    const world = await startWorld();
    const ids = Array.from({ length: 5 }, (_, n) => `opp-${n}`);
    for (const id of ids) world.lever.addOpportunity({ id, stageId: 'stage-tech' });
    const server = await startStagegate(world.root, world.env);
    try {
      const now = Date.now();
      await Promise.all(
        ids.flatMap((opportunityId) =>
          [0, 1].map((i) =>
            post(world.lever, server.url, 'acme', {
              token: `stage-${opportunityId}-${i}`,
              kind: 'stage',
              opportunityId,
              triggeredAt: now + i,
            }),
          ),
        ),
      );
      await server.idle();
      const sends = sendsByEmail(world.vendor);
      for (const id of ids) expect(sends.get(emailOf(id)), id).toEqual(['sandbox-python']);
    } finally {
      await server.close();
      await world.close();
    }
  });
});
