import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { invitationIdOf } from '../../src/kernel/invitation-id.js';
import type { ActionRecord } from '../../src/store/types.js';
import { emailOf, errorTag, post, sendsByEmail, sentTag } from '../reliability/world.js';
import { captureIo } from '../support/capture-io.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const adminToken = 'admin-token-in-doubt';
let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

const typeOf = (record: ActionRecord) => (record.action as { type: string }).type;

/**
 * A vendor outage behind a gateway: every send_test is answered 502, and stagegate cannot tell
 * whether the vendor created the invitation. Two candidates of acme and one of globex fail in doubt.
 */
async function startAfterOutage() {
  world = await startWorld(['acme', 'globex']);
  const people = [
    ['acme', 'opp-1'],
    ['acme', 'opp-2'],
    ['globex', 'opp-3'],
  ] as const;
  for (const [, id] of people) world.lever.addOpportunity({ id, stageId: 'stage-tech' });
  world.vendor.fault({ path: /send_test/, status: 502, times: 3 });
  const server = await startStagegate(world.root, { ...world.env, STAGEGATE_ADMIN_TOKEN: adminToken });
  const env = { STAGEGATE_URL: server.url, STAGEGATE_ADMIN_TOKEN: adminToken };
  const root = world.root;
  const cli = async (argv: string[]) => {
    const io = captureIo({ cwd: root, env });
    const code = await runCli(argv, io);
    return { code, out: io.out(), err: io.err() };
  };
  for (const [tenant, opportunityId] of people) {
    const delivery = {
      token: `stage-${opportunityId}`,
      kind: 'stage',
      opportunityId,
      triggeredAt: Date.now(),
    };
    expect(await post(world.lever, server.url, tenant, delivery as never)).toBe(202);
  }
  await server.idle();
  const sendOf = async (tenant: string, opportunityId: string) => {
    const found = (await server.store.listActions({ tenant, opportunityId })).find(
      (a) => typeOf(a) === 'assessment.send',
    );
    if (found === undefined) throw new Error(`no send for ${opportunityId}`);
    return found;
  };
  const sends = [
    await sendOf('acme', 'opp-1'),
    await sendOf('acme', 'opp-2'),
    await sendOf('globex', 'opp-3'),
  ];
  for (const send of sends) expect(send).toMatchObject({ status: 'failed', failureClass: 'in-doubt' });
  expect(world.vendor.sends()).toEqual([]);
  return { world, server, cli, sends };
}

describe('stagegate actions retry --all-in-doubt: the bulk path after a vendor outage', () => {
  it('lists the sends in doubt, refuses what it cannot do, and sends each once the operator checked', async () => {
    const { world, server, cli, sends } = await startAfterOutage();
    const [one, two, other] = sends as [ActionRecord, ActionRecord, ActionRecord];
    try {
      for (const id of ['opp-1', 'opp-2', 'opp-3']) {
        expect(world.lever.getOpportunity(id)?.tags, id).toEqual([errorTag]);
      }
      // The operator's list: only the tenant's, marked in doubt.
      const listed = await cli(['actions', 'list', '--in-doubt', '--tenant', 'acme']);
      expect(listed.code).toBe(0);
      const rows = listed.out.trimEnd().split('\n').slice(1);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatch(
        new RegExp(
          `^${one.id}\\s+acme\\s+opp-1\\s+assessment\\.send\\s+failed \\(in-doubt\\)\\s+1\\s+stagegate cannot tell`,
        ),
      );
      expect(rows[1]).toContain(two.id);
      const json = await cli(['actions', 'list', '--in-doubt', '--json']);
      expect((JSON.parse(json.out) as ActionRecord[]).map((a) => a.id).sort()).toEqual(
        [one.id, two.id, other.id].sort(),
      );
      expect((await cli(['actions', 'list', '--in-doubt', '--status', 'done'])).code).toBe(2);

      // Refused before anything is asked of the service.
      const noTenant = await cli(['actions', 'retry', '--all-in-doubt', '--not-at-vendor']);
      expect(noTenant.code).toBe(2);
      expect(noTenant.err).toMatch(/^--all-in-doubt needs --tenant/);
      const atVendor = await cli([
        'actions',
        'retry',
        '--all-in-doubt',
        '--tenant',
        'acme',
        '--at-vendor',
        'pi-1',
      ]);
      expect(atVendor.code).toBe(2);
      expect(atVendor.err).toMatch(/^--at-vendor goes with one action id/);
      const unchecked = await cli(['actions', 'retry', '--all-in-doubt', '--tenant', 'acme']);
      expect(unchecked.code).toBe(2);
      expect(unchecked.err).toContain('check at the vendor, then add --not-at-vendor');
      expect((await cli(['actions', 'retry', one.id, '--all-in-doubt', '--tenant', 'acme'])).code).toBe(2);
      expect((await cli(['actions', 'retry', one.id, '--dry-run'])).code).toBe(2);
      // And by the service, for any caller.
      const refusals: Array<[string, unknown]> = [
        ['', { notAtVendor: true }],
        ['?tenant=acme', { atVendor: 'pi-1' }],
        ['?tenant=acme', {}],
        ['?tenant=acme', { notAtVendor: false }],
        ['?tenant=acme', { notAtVendor: true, force: true }],
      ];
      for (const [search, body] of refusals) {
        const answer = await fetch(`${server.url}/admin/actions/retry-in-doubt${search}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(await answer.json()).toMatchObject({ error: 'BAD_JSON' });
      }

      // A dry run lists them and changes nothing.
      const dry = await cli(['actions', 'retry', '--all-in-doubt', '--tenant', 'acme', '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.out.split('\n').filter((line) => line.startsWith('would send again: '))).toEqual([
        expect.stringContaining(`action ${one.id} (opportunity opp-1, Backend - Python)`),
        expect.stringContaining(`action ${two.id} (opportunity opp-2, Backend - Python)`),
      ]);
      expect(dry.out).toContain('2 send(s) in doubt for tenant acme; nothing was changed');
      await server.idle();
      expect((await server.store.getAction(one.id))?.status).toBe('failed');
      expect(world.vendor.sends()).toEqual([]);

      // The operator checked at the vendor: none of acme's is there.
      const done = await cli(['actions', 'retry', '--all-in-doubt', '--tenant', 'acme', '--not-at-vendor']);
      expect(done).toMatchObject({ code: 0, err: '' });
      expect(done.out.split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^sending again: action ${one.id} \\(opportunity opp-1, Backend - Python\\), with ${one.decisionId}:1$`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^sending again: action ${two.id} \\(opportunity opp-2, Backend - Python\\), with ${two.decisionId}:1$`,
          ),
        ),
        '2 send(s) of tenant acme back to pending, due now',
        '',
      ]);
      await server.idle();

      const sent = sendsByEmail(world.vendor);
      expect(sent.get(emailOf('opp-1'))).toEqual(['sandbox-python']);
      expect(sent.get(emailOf('opp-2'))).toEqual(['sandbox-python']);
      expect(sent.get(emailOf('opp-3'))).toBeUndefined();
      for (const send of [one, two]) {
        expect((await server.store.getInvitation(invitationIdOf(send.id)))?.status).toBe('sent');
        expect(
          (await server.store.listActions({ tenant: 'acme', opportunityId: send.opportunityId ?? '' })).map(
            (a) => a.status,
          ),
        ).toEqual(['done', 'done']);
      }
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([sentTag]);
      // Another tenant's sends are not touched.
      expect(await server.store.getAction(other.id)).toMatchObject({
        status: 'failed',
        failureClass: 'in-doubt',
      });
      expect((await server.store.getInvitation(invitationIdOf(other.id)))?.status).toBe('sending');

      // Nothing left in doubt for acme: a second run changes nothing.
      expect(
        await cli(['actions', 'retry', '--all-in-doubt', '--tenant', 'acme', '--not-at-vendor']),
      ).toEqual({
        code: 0,
        out: 'no sends in doubt for tenant acme\n',
        err: '',
      });
      expect(world.vendor.sends()).toHaveLength(2);
      expect((await cli(['actions', 'list', '--in-doubt', '--tenant', 'acme'])).out).toBe(
        'no sends in doubt\n',
      );
    } finally {
      await server.close();
    }
  });
});
