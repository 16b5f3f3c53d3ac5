import { afterEach, describe, expect, it } from 'vitest';
import { retryActionsCommand } from '../../src/cli/admin/actions-command.js';
import { runCli } from '../../src/cli/main.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { invitationIdOf } from '../../src/kernel/invitation-id.js';
import type { ActionRecord } from '../../src/store/types.js';
import { emailOf, errorTag, post, prefix, sendsByEmail, sentTag } from '../reliability/world.js';
import { captureIo } from '../support/capture-io.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';
import type { VendorFault } from '../support/vendor-simulator.js';

const adminToken = 'admin-token-retry-send-long-enough-to-serve';
let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

const typeOf = (record: ActionRecord) => (record.action as { type: string }).type;

/**
 * The real server, its send to the vendor cut off by `fault` (so stagegate cannot tell whether the
 * vendor got it), and the retry that then finds the invitation half-written: the send fails for good.
 */
async function startWithSendInDoubt(fault: VendorFault) {
  world = await startWorld(['acme']);
  world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech' });
  world.vendor.fault({ path: /send_test/, times: 1, ...fault });
  const clock = createManualClock(Date.now());
  const server = await startStagegate(
    world.root,
    { ...world.env, STAGEGATE_ADMIN_TOKEN: adminToken },
    [],
    clock,
  );
  const env = { STAGEGATE_URL: server.url, STAGEGATE_ADMIN_TOKEN: adminToken };
  const root = world.root;
  const cli = async (argv: string[]) => {
    const io = captureIo({ cwd: root, env });
    const code = await runCli(argv, io);
    return { code, out: io.out(), err: io.err() };
  };
  const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: clock.now() };
  expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
  await server.idle();
  clock.advance(10 * 60_000); // the retry finds the invitation half-written
  await server.idle();

  const actions = await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' });
  expect(actions.map((a) => [typeOf(a), a.status])).toEqual([
    ['assessment.send', 'failed'],
    ['lever.addTags', 'failed'],
  ]);
  const [send, addSent] = actions as [ActionRecord, ActionRecord];
  const invitationId = invitationIdOf(send.id);
  expect((await server.store.getInvitation(invitationId))?.status).toBe('sending');
  expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([errorTag]);
  return { world, server, cli, env, send, addSent, invitationId };
}

describe('stagegate actions retry on a send in doubt: an operator says whether the vendor has it', () => {
  it('--not-at-vendor: refuses to resend on its own, names the command, and sends once the operator confirms', async () => {
    // The connection breaks before the vendor reads the request: it has no invitation.
    const { world, server, cli, env, send, addSent, invitationId } = await startWithSendInDoubt({
      reset: true,
    });
    try {
      const command = `stagegate actions retry ${send.id} --not-at-vendor`;
      expect(send.lastError).toMatch(/^stagegate cannot tell whether the vendor received/);
      expect(send.lastError).toContain(command);
      expect(world.lever.notes('opp-1').map((note) => note.value)).toEqual([
        expect.stringContaining(command),
      ]);

      // Without the operator's word: refused, with what to do.
      const refused = await cli(['actions', 'retry', send.id]);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^CONFLICT: stagegate cannot tell whether the vendor received/);
      expect(refused.err).toContain('Check at the vendor');
      expect(refused.err).toContain(command);
      const all = await cli(['actions', 'retry', '--all-failed']);
      expect(all.code).toBe(0);
      expect(all.out).toBe(
        `no failed actions to retry\n1 not retried:\n  ${send.id}: ${refused.err.slice('CONFLICT: '.length)}`,
      );
      // The flag is for a send only.
      const notASend = await fetch(`${server.url}/admin/actions/${addSent.id}/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ notAtVendor: true }),
      });
      expect(notASend.status).toBe(409);
      expect(await notASend.json()).toMatchObject({ error: 'CONFLICT' });
      await server.idle();
      expect((await server.store.getAction(send.id))?.status).toBe('failed');
      expect((await server.store.getInvitation(invitationId))?.status).toBe('sending');
      expect(world.vendor.sends()).toEqual([]);

      // The operator checked at the vendor: not there. The send goes, with the rest of its decision.
      const io = captureIo({ cwd: world.root, env });
      expect(await retryActionsCommand(io, send.id, { notAtVendor: true })).toBe(0);
      expect(io.out()).toBe(
        `action ${send.id} is pending again, due now\nwith the later action(s) of its decision:\n  ${addSent.id}\n`,
      );
      await server.idle();

      expect(sendsByEmail(world.vendor).get(emailOf('opp-1'))).toEqual(['sandbox-python']);
      expect((await server.store.getInvitation(invitationId))?.status).toBe('sent');
      expect(
        (await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' })).map((a) => a.status),
      ).toEqual(['done', 'done']);
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([sentTag]);
      expect(server.lines.some((line) => line.includes('an operator confirmed the invitation'))).toBe(true);

      // Done: nothing left to retry, and the flag changes nothing.
      expect(await retryActionsCommand(io, send.id, { notAtVendor: true })).toBe(1);
      expect(io.err()).toBe(`CONFLICT: action ${send.id} is done; only failed actions are retried\n`);
      expect(world.vendor.sends()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('--at-vendor: records the invitation the vendor has, without sending again, and its result comes back', async () => {
    // The vendor takes the invitation; its answer is lost on the way back.
    const { world, server, cli, send, addSent, invitationId } = await startWithSendInDoubt({
      lostAnswer: true,
    });
    try {
      expect(world.vendor.sends()).toHaveLength(1);
      const vendorId = world.vendor.sends()[0]?.partnerInterviewId ?? '';
      const command = `stagegate actions retry ${send.id} --at-vendor <vendor invitation id>`;
      expect(send.lastError).toMatch(/^stagegate cannot tell whether the vendor received/);
      expect(send.lastError).toContain(command);
      expect(send.lastError).toContain(`stagegate actions retry ${send.id} --not-at-vendor`);
      expect(world.lever.notes('opp-1').map((note) => note.value)).toEqual([
        expect.stringContaining(command),
      ]);
      expect((await cli(['actions', 'retry', send.id])).err).toContain(command);

      // A mistyped id: the vendor does not know it. Nothing changes.
      expect(await cli(['actions', 'retry', send.id, '--at-vendor', 'pi-404'])).toEqual({
        code: 1,
        out: '',
        err: 'NOT_FOUND: the vendor has no invitation pi-404; check the id. Nothing was changed.\n',
      });
      // The vendor cannot be asked: nothing changes either.
      world.vendor.fault({ path: /test_status/, status: 503, times: 1 });
      const unchecked = await cli(['actions', 'retry', send.id, '--at-vendor', vendorId]);
      expect(unchecked.code).toBe(1);
      expect(unchecked.err).toMatch(
        new RegExp(
          `^CONFLICT: the vendor could not confirm invitation ${vendorId} \\(.*503.*\\)\\. Nothing was changed; try again\\.\\n$`,
        ),
      );
      // Both answers at once.
      const both = await cli(['actions', 'retry', send.id, '--at-vendor', vendorId, '--not-at-vendor']);
      expect(both.code).toBe(1);
      expect(both.err).toMatch(/^CONFLICT: --at-vendor and --not-at-vendor are opposite answers/);
      await server.idle();
      expect((await server.store.getAction(send.id))?.status).toBe('failed');
      expect((await server.store.getInvitation(invitationId))?.status).toBe('sending');
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([errorTag]);

      // The operator found it at the vendor: recorded with its id, and the rest of the decision runs.
      expect(await cli(['actions', 'retry', send.id, '--at-vendor', vendorId])).toEqual({
        code: 0,
        out: `action ${send.id} is done: its invitation is recorded as sent, vendor invitation ${vendorId}; nothing was sent again\nthe later action(s) of its decision, due now:\n  ${addSent.id}\n`,
        err: '',
      });
      await server.idle();

      expect(world.vendor.sends()).toHaveLength(1);
      expect(await server.store.getInvitation(invitationId)).toMatchObject({
        status: 'sent',
        vendorInvitationId: vendorId,
      });
      const actions = await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' });
      expect(actions.map((a) => a.status)).toEqual(['done', 'done']);
      expect(actions[0]?.result).toEqual({
        invitationId,
        vendorInvitationId: vendorId,
        recordedBy: 'operator',
      });
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([sentTag]);
      expect(
        server.lines.some((line) => line.includes('an operator confirmed the invitation is at the vendor')),
      ).toBe(true);
      expect(await cli(['actions', 'retry', send.id, '--at-vendor', vendorId])).toMatchObject({
        code: 1,
        err: `CONFLICT: action ${send.id} is done; only failed actions are retried\n`,
      });

      // The candidate finishes: the vendor calls back, stagegate asks it, and Lever gets the result.
      expect(await world.vendor.complete(vendorId, { score: 30 })).toBe(202);
      await server.idle();
      await server.idle(); // the check after the callback runs in the background
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([`${prefix} - Fail`]);
      expect(await server.store.getInvitation(invitationId)).toMatchObject({
        status: 'completed',
        score: 30,
      });
      expect(world.vendor.sends()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('answers 400 to a retry body it does not understand', async () => {
    world = await startWorld(['acme']);
    const server = await startStagegate(world.root, { ...world.env, STAGEGATE_ADMIN_TOKEN: adminToken });
    try {
      const bodies = [
        '{"notAtVendor":"yes"}',
        '{"force":true}',
        '[true]',
        '{"atVendor":""}',
        '{"atVendor":"  "}',
        '{"atVendor":7}',
      ];
      for (const body of bodies) {
        const answer = await fetch(`${server.url}/admin/actions/dec-1:0/retry`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body,
        });
        expect(answer.status, body).toBe(400);
        expect(await answer.json(), body).toMatchObject({ error: 'BAD_JSON' });
      }
    } finally {
      await server.close();
    }
  });
});
