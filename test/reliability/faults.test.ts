import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import type { LeverFault } from '../support/lever-simulator.js';
import { startStagegate } from '../support/start-stagegate.js';
import type { VendorFault } from '../support/vendor-simulator.js';
import { emailOf, errorTag, post, sendsByEmail, sentTag, startWorld } from './world.js';

/**
 * Timeouts are real time: the simulators hold the request without answering, and stagegate runs
 * with STAGEGATE_HTTP_TIMEOUT_SECONDS at 0.2 s, so each one costs 0.2 s. They are kept few (one
 * fault of at most two requests per side) to keep the test short; injected latency stays well
 * under the timeout. A send_test that timed out is one stagegate cannot tell the vendor received
 * (here it did not): it must fail for good with that reason, and never be sent again. So must a
 * send the vendor carried out before it answered 500, 502 or 504 or dropped the connection (the
 * in-doubt class): at most one invitation per candidate at the vendor, whatever failed.
 */
const httpTimeoutSeconds = '0.2';
const faultArbitrary = fc.oneof(
  fc.record({ status: fc.constant(429), times: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ status: fc.constantFrom(500, 502, 503), times: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ reset: fc.constant(true), times: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ latencyMs: fc.integer({ min: 5, max: 60 }), times: fc.integer({ min: 1, max: 3 }) }),
);
/** Faults after the vendor or Lever acted: the effect happened, the answer says otherwise or is lost. */
const actedArbitrary = fc.oneof(
  fc.record({
    status: fc.constantFrom(500, 502, 504),
    acted: fc.constant(true),
    times: fc.integer({ min: 1, max: 2 }),
  }),
  fc.record({ lostAnswer: fc.constant(true), times: fc.integer({ min: 1, max: 2 }) }),
);
const planArbitrary = fc.record({
  candidates: fc.integer({ min: 3, max: 6 }),
  // Lever may also carry a write out and then fail or lose its answer: a retry must not add a second note.
  lever: fc.array(fc.oneof(faultArbitrary, actedArbitrary), { minLength: 1, maxLength: 4 }),
  vendor: fc.array(
    fc.tuple(
      fc.oneof(faultArbitrary, actedArbitrary),
      fc.constantFrom(/send_test/, /test_status/, undefined),
    ),
    { minLength: 1, maxLength: 4 },
  ),
  leverTimeouts: fc.option(fc.integer({ min: 1, max: 2 })),
  vendorTimeouts: fc.option(fc.integer({ min: 1, max: 2 })),
});

const hour = 3_600_000;
let runs = 0;
let faultsInjected = 0;
const timeouts = { lever: 0, vendor: 0 };
let interrupted = 0;
let inDoubtAtVendor = 0;

describe('faults: Lever and the vendor slow, rate limiting, failing, resetting and timing out', () => {
  it('ends every action done or failed with a reason, with no invitation sent twice', async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        runs += 1;
        const world = await startWorld();
        const ids = Array.from({ length: plan.candidates }, (_, n) => `opp-${n}`);
        for (const id of ids) world.lever.addOpportunity({ id, stageId: 'stage-tech' });
        // First, so that they hit before the other faults run out the requests they would match.
        if (plan.leverTimeouts) world.lever.fault({ timeout: true, times: plan.leverTimeouts });
        if (plan.vendorTimeouts) {
          world.vendor.fault({ timeout: true, times: plan.vendorTimeouts, path: /send_test/ });
        }
        for (const fault of plan.lever) {
          world.lever.fault({ ...fault, ...('status' in fault ? { retryAfter: 1 } : {}) } as LeverFault);
        }
        for (const [fault, path] of plan.vendor) {
          world.vendor.fault({ ...fault, ...(path ? { path } : {}) } as VendorFault);
        }
        const clock = createManualClock(Date.now());
        const server = await startStagegate(
          world.root,
          { ...world.env, STAGEGATE_HTTP_TIMEOUT_SECONDS: httpTimeoutSeconds },
          [],
          clock,
        );
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
          const recorded = new Set(invitations.map((i) => i.vendorInvitationId).filter(Boolean));
          expect(recorded.size).toBe(invitations.filter((i) => i.vendorInvitationId).length);
          // Every invitation at the vendor is recorded, or its send failed in doubt for an operator.
          for (const atVendor of world.vendor.sends()) {
            if (recorded.has(atVendor.partnerInterviewId)) continue;
            inDoubtAtVendor += 1;
            const email = (atVendor.body.candidate as { email?: string }).email;
            const id = ids.find((candidate) => emailOf(candidate) === email);
            const send = actions.find(
              (a) => a.opportunityId === id && (a.action as { type: string }).type === 'assessment.send',
            );
            expect(send, `${atVendor.partnerInterviewId} at the vendor`).toMatchObject({
              status: 'failed',
              failureClass: 'in-doubt',
              lastError: expect.stringMatching(/^stagegate cannot tell whether the vendor received/),
            });
          }
          for (const id of ids) {
            const mine = actions.filter((a) => a.opportunityId === id);
            const send = mine.find((a) => (a.action as { type: string }).type === 'assessment.send');
            const tags = world.lever.getOpportunity(id)?.tags ?? [];
            expect((sends.get(emailOf(id)) ?? []).length, id).toBeLessThanOrEqual(1);
            const notes = world.lever.notes(id).map((note) => note.value);
            expect(new Set(notes).size, `${id}: ${notes.join(' | ')}`).toBe(notes.length);
            // Every fault here is transient, and the worker retries them for the whole replay
            // window: each delivery is decided, however often Lever failed first.
            if (send === undefined) throw new Error(`${id}: no send was decided`);
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
          // A send_test that timed out may have reached the vendor: failed for good, never sent again.
          for (const hung of world.vendor.requests.filter((r) => r.unanswered === 'timeout')) {
            const email = (hung.body as { candidate?: { email?: string } } | undefined)?.candidate?.email;
            const id = ids.find((candidate) => emailOf(candidate) === email);
            const send = actions.find(
              (a) => a.opportunityId === id && (a.action as { type: string }).type === 'assessment.send',
            );
            expect(send?.status, id).toBe('failed');
            expect(send?.lastError, id).toMatch(/cannot tell whether the vendor received/);
            expect(sends.get(email ?? ''), id).toBeUndefined();
          }
          // A vendor that acted and then failed has the invitation; stagegate failed the send in doubt.
          for (const acted of world.vendor.requests.filter(
            (r) => r.path === '/send_test' && (r.unanswered === 'reset' || (r.status ?? 0) >= 500),
          )) {
            const email = (acted.body as { candidate?: { email?: string } } | undefined)?.candidate?.email;
            const id = ids.find((candidate) => emailOf(candidate) === email);
            const send = actions.find(
              (a) => a.opportunityId === id && (a.action as { type: string }).type === 'assessment.send',
            );
            if (acted.status === 503) continue;
            expect(send, id).toMatchObject({ status: 'failed', failureClass: 'in-doubt' });
          }
          faultsInjected +=
            world.lever.requests.filter((r) => r.status === null || r.status >= 429).length +
            world.vendor.requests.filter((r) => r.status === null || r.status >= 429).length;
          timeouts.lever += world.lever.requests.filter((r) => r.unanswered === 'timeout').length;
          timeouts.vendor += world.vendor.requests.filter((r) => r.unanswered === 'timeout').length;
        } finally {
          await server.close();
          await world.close();
        }
      }),
      { numRuns: 8, verbose: 1 },
    );
    console.info(
      `faults: ${runs} runs, ${faultsInjected} faults hit (${timeouts.lever + timeouts.vendor} of them timeouts: ${timeouts.lever} at Lever, ${timeouts.vendor} at the vendor), ${interrupted} sends failed for good (lost answers or retries exhausted), ${inDoubtAtVendor} of them at the vendor in doubt`,
    );
  }, 60_000);
});
