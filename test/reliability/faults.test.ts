import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import type { LeverFault } from '../support/lever-simulator.js';
import { startStagegate } from '../support/start-stagegate.js';
import type { VendorFault } from '../support/vendor-simulator.js';
import { emailOf, errorTag, post, sendsByEmail, sentTag, startWorld } from './world.js';

/**
 * Timeouts are not injected: the Lever client and the vendor transport wait 10 s (real time) before
 * giving up, and neither timeout is configurable from the environment. Latency shorter than the
 * timeout is injected instead; a lost answer is simulated with connection resets.
 */
const faultArbitrary = fc.oneof(
  fc.record({ status: fc.constant(429), times: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ status: fc.constantFrom(500, 502, 503), times: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ reset: fc.constant(true), times: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ latencyMs: fc.integer({ min: 5, max: 60 }), times: fc.integer({ min: 1, max: 3 }) }),
);
const planArbitrary = fc.record({
  candidates: fc.integer({ min: 3, max: 6 }),
  lever: fc.array(faultArbitrary, { minLength: 1, maxLength: 4 }),
  vendor: fc.array(fc.tuple(faultArbitrary, fc.constantFrom(/send_test/, /test_status/, undefined)), {
    minLength: 1,
    maxLength: 4,
  }),
});

const hour = 3_600_000;
let runs = 0;
let faultsInjected = 0;
let interrupted = 0;

describe('faults: Lever and the vendor slow, rate limiting, failing and resetting connections', () => {
  it('ends every action done or failed with a reason, with no invitation sent twice', async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        runs += 1;
        const world = await startWorld();
        const ids = Array.from({ length: plan.candidates }, (_, n) => `opp-${n}`);
        for (const id of ids) world.lever.addOpportunity({ id, stageId: 'stage-tech' });
        for (const fault of plan.lever) {
          world.lever.fault({ ...fault, ...('status' in fault ? { retryAfter: 1 } : {}) } as LeverFault);
        }
        for (const [fault, path] of plan.vendor) {
          world.vendor.fault({ ...fault, ...(path ? { path } : {}) } as VendorFault);
        }
        const clock = createManualClock(Date.now());
        const server = await startStagegate(world.root, world.env, [], clock);
        try {
          const now = clock.now();
          const statuses = await Promise.all(
            ids.map((opportunityId) =>
              post(world.lever, server.url, 'acme', {
                token: `stage-${opportunityId}`,
                kind: 'stage',
                opportunityId,
                triggeredAt: now,
              }),
            ),
          );
          expect(statuses.every((status) => status === 202)).toBe(true);
          // Retries come due as the manual clock moves past the retry schedule's longest step.
          for (let step = 0; step < 40; step++) {
            await server.idle();
            const open = await server.store.listActions({ tenant: 'acme' });
            if (open.every((a) => a.status === 'done' || a.status === 'failed')) break;
            clock.advance(15 * hour);
          }
          await server.idle();

          const actions = await server.store.listActions({ tenant: 'acme' });
          expect(actions.filter((a) => a.status === 'pending' || a.status === 'running')).toEqual([]);
          for (const failed of actions.filter((a) => a.status === 'failed')) {
            expect(failed.lastError, failed.id).toMatch(/\S/);
          }
          expect(await server.store.pendingInbox()).toEqual([]);

          const sends = sendsByEmail(world.vendor);
          const invitations = await server.store.listInvitations({ tenant: 'acme' });
          expect(invitations.filter((i) => i.vendorInvitationId)).toHaveLength(world.vendor.sends().length);
          for (const id of ids) {
            const mine = actions.filter((a) => a.opportunityId === id);
            const send = mine.find((a) => (a.action as { type: string }).type === 'assessment.send');
            const tags = world.lever.getOpportunity(id)?.tags ?? [];
            expect((sends.get(emailOf(id)) ?? []).length, id).toBeLessThanOrEqual(1);
            if (send === undefined) {
              // Enrichment gave up on Lever: the delivery was skipped with its reason, nothing sent.
              expect(sends.get(emailOf(id)), id).toBeUndefined();
              continue;
            }
            if (send.status === 'done') {
              expect(sends.get(emailOf(id)), id).toEqual(['sandbox-python']);
              if (mine.every((a) => a.status === 'done')) expect(tags, id).toEqual([sentTag]);
            } else {
              interrupted += 1;
              const reported = server.lines.some(
                (line) => line.includes(id) && line.includes('could not show the failure in Lever'),
              );
              if (!reported) expect(tags, id).toContain(errorTag);
            }
          }
          faultsInjected +=
            world.lever.requests.filter((r) => r.status === null || r.status >= 429).length +
            world.vendor.requests.filter((r) => r.status === null || r.status >= 429).length;
        } finally {
          await server.close();
          await world.close();
        }
      }),
      { numRuns: 8, verbose: 1 },
    );
    console.info(
      `faults: ${runs} runs, ${faultsInjected} faults hit, ${interrupted} sends failed for good (lost answers or retries exhausted)`,
    );
  }, 60_000);
});
