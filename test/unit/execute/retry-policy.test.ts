import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { retryAction } from '../../../src/execute/retry-policy.js';
import type { Action } from '../../../src/kernel/actions.js';
import { createManualClock } from '../../../src/kernel/clock.js';
import { StagegateError } from '../../../src/kernel/errors.js';
import { invitationIdOf } from '../../../src/kernel/invitation-id.js';
import { createProviderError } from '../../../src/providers/create-provider-error.js';
import type { ProviderStatus } from '../../../src/providers/types.js';
import { createLowdbStore } from '../../../src/store/lowdb/create-lowdb-store.js';
import type { ActionRecord, ActionStatus, InvitationStatus, Store } from '../../../src/store/types.js';

const start = Date.UTC(2025, 0, 6, 9, 0, 0);
const clock = createManualClock(start);
const log = pino({ level: 'silent' });
let dir: string;
let store: Store;
/** What the vendor has, by its invitation id; `down` makes it answer 503 to everything. */
let vendor: { invitations: Map<string, string>; down: boolean; asked: string[] };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagegate-retry-'));
  store = await createLowdbStore({ dir, clock, commitIntervalMs: 0 });
  vendor = { invitations: new Map([['pi-7', 'sent']]), down: false, asked: [] };
});

/** The vendor as the provider answers test_status: a PROVIDER_API error with the HTTP status. */
async function getStatus(id: string): Promise<ProviderStatus> {
  vendor.asked.push(id);
  const status = vendor.down ? undefined : vendor.invitations.get(id);
  if (status === undefined) {
    const code = vendor.down ? 503 : 404;
    throw createProviderError(`Assessment vendor: the vendor answered ${code}`, {
      status: code,
      failureClass: vendor.down ? 'retry-safe' : 'final',
      method: 'GET',
      path: '/test_status',
    });
  }
  return { status, score: null, reportUrl: null, metadata: {} };
}

const context = () => ({ store, clock, log, vendor: () => ({ getStatus }) });

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const send: Action = { type: 'assessment.send', test: 'Backend - Python', providerTestId: 't-101' };
const addSent: Action = { type: 'lever.addTags', tags: ['Hired Assessments - Sent'] };
const addNote: Action = { type: 'lever.addNote', text: 'sent' };

/** One decision of the given actions, in the given states, as the executor leaves them. */
async function seed(actions: readonly [Action, ActionStatus][]): Promise<ActionRecord[]> {
  const { item } = await store.acceptDelivery({
    tenant: 'acme',
    token: 'token-1',
    event: 'candidateStageChange',
    triggeredAt: start,
    opportunityId: 'opp-1',
    payload: {},
  });
  const records: ActionRecord[] = actions.map(([action], index) => ({
    id: `dec-1:${index}`,
    tenant: 'acme',
    opportunityId: 'opp-1',
    decisionId: 'dec-1',
    index,
    action,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: start,
    createdAt: start,
    updatedAt: start,
  }));
  await store.completeInbox(item.id, {
    decision: {
      id: 'dec-1',
      tenant: 'acme',
      opportunityId: 'opp-1',
      inboxId: item.id,
      createdAt: start,
      decision: {},
    },
    actions: records,
  });
  for (const [index, [, status]] of actions.entries()) {
    if (status !== 'pending') await store.updateAction(`dec-1:${index}`, { status, attempts: 3 });
  }
  return records;
}

async function refusal(
  promise: Promise<unknown>,
): Promise<{ code: string; reason: unknown; message: string }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof StagegateError)) throw new Error('expected a StagegateError');
  return { code: error.code, reason: error.details.reason, message: error.message };
}

async function putInvitation(actionId: string, status: InvitationStatus, vendorInvitationId?: string) {
  await store.putInvitation({
    ...(vendorInvitationId === undefined ? {} : { vendorInvitationId }),
    id: invitationIdOf(actionId),
    tenant: 'acme',
    opportunityId: 'opp-1',
    test: 'Backend - Python',
    providerTestId: 't-101',
    status,
    createdAt: start,
    updatedAt: start,
  });
}

const statuses = async () =>
  (await store.listActions({ tenant: 'acme' })).map((a) => [a.id, a.status, a.attempts]);

describe('retryAction', () => {
  it('puts a failed action back with the later actions of its decision that were dropped, in order', async () => {
    await seed([
      [send, 'done'],
      [addSent, 'failed'],
      [addNote, 'failed'],
    ]);
    clock.set(start + 5_000);
    const { action, resumed } = await retryAction(context(), 'dec-1:1');
    expect(action).toMatchObject({
      id: 'dec-1:1',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: start + 5_000,
    });
    expect(resumed.map((r) => r.id)).toEqual(['dec-1:2']);
    expect(await statuses()).toEqual([
      ['dec-1:0', 'done', 3],
      ['dec-1:1', 'pending', 0],
      ['dec-1:2', 'pending', 0],
    ]);
  });

  it('refuses an action dropped because an earlier one failed, naming that one', async () => {
    await seed([
      [send, 'failed'],
      [addSent, 'failed'],
    ]);
    expect(await refusal(retryAction(context(), 'dec-1:1'))).toEqual({
      code: 'CONFLICT',
      reason: 'earlier-failed',
      message:
        'action dec-1:1 was not run because action dec-1:0 of its decision failed; retry dec-1:0, and this one comes back with it',
    });
    expect((await store.getAction('dec-1:1'))?.status).toBe('failed');
  });

  it('refuses an action that has not failed, and an unknown one', async () => {
    await seed([[send, 'pending']]);
    expect(await refusal(retryAction(context(), 'dec-1:0'))).toMatchObject({
      code: 'CONFLICT',
      reason: 'not-failed',
    });
    expect(await refusal(retryAction(context(), 'dec-9:0'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('leaves a send whose invitation may be at the vendor alone, unless an operator says it is not there', async () => {
    await seed([
      [send, 'failed'],
      [addSent, 'failed'],
    ]);
    await putInvitation('dec-1:0', 'sending');
    const refused = await refusal(retryAction(context(), 'dec-1:0'));
    expect(refused).toMatchObject({ code: 'CONFLICT', reason: 'in-doubt' });
    expect(refused.message).toContain('stagegate actions retry dec-1:0 --not-at-vendor');
    expect((await store.getInvitation(invitationIdOf('dec-1:0')))?.status).toBe('sending');
    expect(await statuses()).toEqual([
      ['dec-1:0', 'failed', 3],
      ['dec-1:1', 'failed', 3],
    ]);

    const { resumed } = await retryAction(context(), 'dec-1:0', { notAtVendor: true });
    expect(resumed.map((r) => r.id)).toEqual(['dec-1:1']);
    expect((await store.getInvitation(invitationIdOf('dec-1:0')))?.status).toBe('failed');
  });

  it('retries a send the vendor refused without the flag, and takes the flag there too', async () => {
    await seed([[send, 'failed']]);
    await putInvitation('dec-1:0', 'failed');
    expect((await retryAction(context(), 'dec-1:0')).action.status).toBe('pending');
    await store.updateAction('dec-1:0', { status: 'failed' });
    expect((await retryAction(context(), 'dec-1:0', { notAtVendor: true })).action.status).toBe('pending');
  });

  it('refuses --not-at-vendor for an action that is not a send', async () => {
    await seed([
      [send, 'done'],
      [addSent, 'failed'],
    ]);
    expect(await refusal(retryAction(context(), 'dec-1:1', { notAtVendor: true }))).toMatchObject({
      code: 'CONFLICT',
      reason: 'not-a-send',
    });
    expect((await store.getAction('dec-1:1'))?.status).toBe('failed');
  });

  it('records a send in doubt as at the vendor: the invitation sent with its id, the send done, the rest resumed', async () => {
    await seed([
      [send, 'failed'],
      [addSent, 'failed'],
      [addNote, 'failed'],
    ]);
    await putInvitation('dec-1:0', 'sending');
    clock.set(start + 7_000);
    const { action, resumed } = await retryAction(context(), 'dec-1:0', { atVendor: 'pi-7' });
    const invitationId = invitationIdOf('dec-1:0');
    expect(action).toMatchObject({
      status: 'done',
      attempts: 3,
      result: { invitationId, vendorInvitationId: 'pi-7', recordedBy: 'operator' },
    });
    expect(resumed.map((r) => [r.id, r.status, r.nextAttemptAt])).toEqual([
      ['dec-1:1', 'pending', start + 7_000],
      ['dec-1:2', 'pending', start + 7_000],
    ]);
    expect(await store.getInvitation(invitationId)).toMatchObject({
      status: 'sent',
      vendorInvitationId: 'pi-7',
    });
    expect(vendor.asked).toEqual(['pi-7']);
  });

  it('changes nothing when the vendor does not know the id, or cannot be asked', async () => {
    await seed([
      [send, 'failed'],
      [addSent, 'failed'],
    ]);
    await putInvitation('dec-1:0', 'sending');
    expect(await refusal(retryAction(context(), 'dec-1:0', { atVendor: 'pi-77' }))).toEqual({
      code: 'NOT_FOUND',
      reason: 'not-at-vendor',
      message: 'the vendor has no invitation pi-77; check the id. Nothing was changed.',
    });
    vendor.down = true;
    const unchecked = await refusal(retryAction(context(), 'dec-1:0', { atVendor: 'pi-7' }));
    expect(unchecked).toMatchObject({ code: 'CONFLICT', reason: 'vendor-unchecked' });
    expect(unchecked.message).toContain('the vendor answered 503');
    expect(vendor.asked).toEqual(['pi-77', 'pi-7']);
    expect((await store.getInvitation(invitationIdOf('dec-1:0')))?.status).toBe('sending');
    expect(await statuses()).toEqual([
      ['dec-1:0', 'failed', 3],
      ['dec-1:1', 'failed', 3],
    ]);
  });

  it('refuses --at-vendor for a send not in doubt, for another action, with --not-at-vendor, and for an id taken', async () => {
    await seed([
      [send, 'failed'],
      [addSent, 'failed'],
    ]);
    const atVendor = (id: string, options = {}) =>
      refusal(retryAction(context(), id, { atVendor: 'pi-7', ...options }));
    expect(await atVendor('dec-1:0')).toMatchObject({ code: 'CONFLICT', reason: 'not-in-doubt' });
    await putInvitation('dec-1:0', 'failed');
    expect(await atVendor('dec-1:0')).toEqual({
      code: 'CONFLICT',
      reason: 'not-in-doubt',
      message: `--at-vendor records a send stagegate cannot tell the vendor received; the invitation of action dec-1:0 is failed, so retry it without the flag`,
    });
    await putInvitation('dec-1:0', 'sending');
    expect(await atVendor('dec-1:1')).toMatchObject({ code: 'CONFLICT', reason: 'earlier-failed' });
    await store.updateAction('dec-1:0', { status: 'done' });
    expect(await atVendor('dec-1:1')).toEqual({
      code: 'CONFLICT',
      reason: 'not-a-send',
      message: '--at-vendor is for an assessment.send; action dec-1:1 is lever.addTags',
    });
    await store.updateAction('dec-1:0', { status: 'failed' });
    expect(await atVendor('dec-1:0', { notAtVendor: true })).toMatchObject({
      code: 'CONFLICT',
      reason: 'both-answers',
    });
    await putInvitation('dec-9:0', 'sent', 'pi-7');
    const taken = await atVendor('dec-1:0');
    expect(taken).toMatchObject({ code: 'CONFLICT', reason: 'vendor-id-taken' });
    expect(taken.message).toContain(`already recorded for invitation ${invitationIdOf('dec-9:0')}`);

    expect(vendor.asked).toEqual([]);
    expect((await store.getInvitation(invitationIdOf('dec-1:0')))?.status).toBe('sending');
    expect(await statuses()).toEqual([
      ['dec-1:0', 'failed', 3],
      ['dec-1:1', 'failed', 3],
    ]);
  });

  it('finishes a recording a crash cut short, given the same id again, without asking the vendor', async () => {
    await seed([
      [send, 'failed'],
      [addSent, 'failed'],
    ]);
    // The invitation was recorded; the crash came before the send was marked done.
    await putInvitation('dec-1:0', 'sent', 'pi-7');
    expect(await refusal(retryAction(context(), 'dec-1:0', { atVendor: 'pi-8' }))).toMatchObject({
      code: 'CONFLICT',
      reason: 'not-in-doubt',
      message: expect.stringContaining('is sent as vendor invitation pi-7'),
    });
    const { action, resumed } = await retryAction(context(), 'dec-1:0', { atVendor: 'pi-7' });
    expect(action.status).toBe('done');
    expect(resumed.map((r) => r.status)).toEqual(['pending']);
    expect(vendor.asked).toEqual([]);
  });
});
