import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../../../src/execute/actions/run-action.js';
import { sendAssessment } from '../../../../src/execute/actions/send-assessment.js';
import { createManualClock } from '../../../../src/kernel/clock.js';
import { StagegateError } from '../../../../src/kernel/errors.js';
import { classifyFailure } from '../../../../src/kernel/failure-class.js';
import { invitationIdOf } from '../../../../src/kernel/invitation-id.js';
import { createProviderError } from '../../../../src/providers/create-provider-error.js';
import type { AssessmentProvider, ProviderInvitation } from '../../../../src/providers/types.js';
import { createLowdbStore } from '../../../../src/store/lowdb/create-lowdb-store.js';
import type { ActionRecord, Store } from '../../../../src/store/types.js';

const clock = createManualClock(Date.UTC(2025, 0, 6, 9, 0, 0));
const send = { type: 'assessment.send', test: 'Backend - Python', providerTestId: 'sandbox-python' } as const;
const record = { id: 'dec-1:0', tenant: 'acme', opportunityId: 'opp-1', attempts: 0 } as ActionRecord;
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagegate-send-'));
  store = await createLowdbStore({ dir, clock, commitIntervalMs: 0 });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A vendor that keeps every send it gets, and answers as `answer` says. */
function vendor(answer: (invitation: ProviderInvitation) => { vendorInvitationId: string }) {
  const sends: ProviderInvitation[] = [];
  const provider: AssessmentProvider = {
    listTests: async () => [],
    async sendTest(invitation) {
      sends.push(invitation);
      return answer(invitation);
    },
    getStatus: async () => ({ status: 'sent', score: null, reportUrl: null, metadata: {} }),
  };
  return { provider, sends };
}

/** What sendAssessment uses of its context: the store, vendor, record, decision facts, tenant id. */
function contextOf(provider: AssessmentProvider, withStore: Store = store): ActionContext {
  return {
    store: withStore,
    provider,
    record,
    tenant: { id: 'acme' },
    decision: { facts: { candidate: { email: 'ada@candidates.example', name: 'Ada Lovelace' } } },
    now: clock.now(),
    log: pino({ level: 'silent' }),
    callbackUrl: (id: string) => `https://stagegate.example/callbacks/${id}`,
  } as unknown as ActionContext;
}

async function caught(promise: Promise<unknown>): Promise<StagegateError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof StagegateError)) throw new Error(`expected a StagegateError, got ${String(error)}`);
  return error;
}

describe('sendAssessment', () => {
  it('gives the vendor the hire.lever.co profile form only when the decision has no Lever profile URL', async () => {
    const { provider, sends } = vendor(() => ({ vendorInvitationId: 'vendor-1' }));
    await sendAssessment(send, contextOf(provider));
    expect(sends[0]?.candidate.profileUrl).toBe('https://hire.lever.co/candidates/opp-1');
  });

  it('a 502 after the send: in doubt, the invitation left `sending`, and the retry does not send again', async () => {
    const { provider, sends } = vendor(() => {
      throw createProviderError('Assessment vendor: the vendor failed to handle the request (HTTP 502)', {
        status: 502,
        failureClass: 'in-doubt',
        method: 'POST',
        path: '/send_test',
      });
    });
    const error = await caught(sendAssessment(send, contextOf(provider)));
    expect(classifyFailure(error, { idempotent: false })).toBe('in-doubt');
    expect(error.message).toMatch(
      /^stagegate cannot tell whether the vendor received the invitation for Backend - Python/,
    );
    expect(error.message).toContain('stagegate actions retry dec-1:0 --not-at-vendor');
    expect((await store.getInvitation(invitationIdOf(record.id)))?.status).toBe('sending');
    const again = await caught(sendAssessment(send, contextOf(provider)));
    expect(again.details.failureClass).toBe('in-doubt');
    expect(sends).toHaveLength(1);
  });

  it('a 503: retry-safe, the invitation `failed`, and the retry sends', async () => {
    let down = true;
    const { provider, sends } = vendor(() => {
      if (down) {
        throw createProviderError('Assessment vendor: 503', {
          status: 503,
          failureClass: 'retry-safe',
          method: 'POST',
          path: '/send_test',
        });
      }
      return { vendorInvitationId: 'pi-1' };
    });
    const error = await caught(sendAssessment(send, contextOf(provider)));
    expect(classifyFailure(error, { idempotent: false })).toBe('retry-safe');
    expect((await store.getInvitation(invitationIdOf(record.id)))?.status).toBe('failed');
    down = false;
    expect(await sendAssessment(send, contextOf(provider))).toEqual({
      invitationId: invitationIdOf(record.id),
      vendorInvitationId: 'pi-1',
    });
    expect(sends).toHaveLength(2);
  });

  it('a store that fails after the vendor took it never frees the invitation to be sent again', async () => {
    const { provider, sends } = vendor(() => ({ vendorInvitationId: 'pi-1' }));
    let failing = true;
    const flaky: Store = {
      ...store,
      updateInvitation: async (id, patch) => {
        // Once: the write recording the vendor's id fails, the next one would go through.
        if (failing) {
          failing = false;
          throw new StagegateError('STORE_FAILED', 'the disk is full');
        }
        return store.updateInvitation(id, patch);
      },
    };
    const error = await caught(sendAssessment(send, contextOf(provider, flaky)));
    expect(error.code).toBe('STORE_FAILED');
    expect((await store.getInvitation(invitationIdOf(record.id)))?.status).toBe('sending');
    const retry = await caught(sendAssessment(send, contextOf(provider)));
    expect(retry.details.failureClass).toBe('in-doubt');
    expect(sends).toHaveLength(1);
  });
});
