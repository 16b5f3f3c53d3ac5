import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../../../src/execute/actions/run-action.js';
import { cancelInvitations } from '../../../../src/execute/actions/store-actions.js';
import { createManualClock } from '../../../../src/kernel/clock.js';
import { createLowdbStore } from '../../../../src/store/lowdb/create-lowdb-store.js';
import type { ActionRecord, InvitationStatus, Store } from '../../../../src/store/types.js';

const clock = createManualClock(Date.UTC(2025, 0, 6, 9, 0, 0));
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagegate-cancel-'));
  store = await createLowdbStore({ dir, clock, commitIntervalMs: 0 });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function invitation(id: string, tenant: string, status: InvitationStatus = 'sent') {
  await store.putInvitation({
    id,
    tenant,
    opportunityId: 'opp-1',
    test: 'Backend - Python',
    providerTestId: 'sandbox-python',
    status,
    vendorInvitationId: `pi-${id}`,
    createdAt: clock.now(),
    updatedAt: clock.now(),
  });
}

/** What cancelInvitations uses of its context: the store, the action's record (its tenant), the log. */
function contextOf(tenant: string): ActionContext {
  const record = { id: 'dec-1:0', tenant, opportunityId: 'opp-1' } as ActionRecord;
  return { store, record, log: pino({ level: 'silent' }), now: clock.now() } as unknown as ActionContext;
}

describe('invitation.cancel', () => {
  it("cancels the tenant's own pending invitations, leaves a completed one, and never touches another tenant's", async () => {
    await invitation('inv-acme', 'acme');
    await invitation('inv-acme-done', 'acme', 'completed');
    await invitation('inv-globex', 'globex');
    const result = await cancelInvitations(
      { type: 'invitation.cancel', invitationIds: ['inv-acme', 'inv-acme-done', 'inv-globex', 'inv-none'] },
      contextOf('acme'),
    );
    expect(result).toEqual({
      cancelled: ['inv-acme'],
      notFound: ['inv-globex', 'inv-none'],
    });
    expect((await store.getInvitation('inv-acme'))?.status).toBe('cancelled');
    expect((await store.getInvitation('inv-acme-done'))?.status).toBe('completed');
    expect((await store.getInvitation('inv-globex'))?.status).toBe('sent');
  });

  it("a tenant's cancel of nothing but another tenant's invitations changes nothing", async () => {
    await invitation('inv-globex', 'globex', 'started');
    const before = await store.getInvitation('inv-globex');
    expect(
      await cancelInvitations(
        { type: 'invitation.cancel', invitationIds: ['inv-globex'] },
        contextOf('acme'),
      ),
    ).toEqual({ cancelled: [], notFound: ['inv-globex'] });
    expect(await store.getInvitation('inv-globex')).toEqual(before);
  });
});
