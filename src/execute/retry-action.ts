import type { Logger } from 'pino';
import type { Action } from '../kernel/actions.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError } from '../kernel/errors.js';
import { invitationIdOf } from '../kernel/invitation-id.js';
import type { AssessmentProvider } from '../providers/types.js';
import type { ActionRecord, Store } from '../store/types.js';
import { recordAtVendor } from './record-at-vendor.js';
import { conflict } from './retry-refusal.js';

export interface RetryOptions {
  /**
   * An operator checked at the vendor and found no invitation: an assessment.send whose invitation
   * stagegate cannot tell the vendor received may send it again.
   */
  notAtVendor?: boolean;
  /**
   * An operator found the invitation at the vendor, with this id (the vendor's partner_interview_id):
   * an assessment.send whose invitation stagegate cannot tell the vendor received is recorded as sent
   * with it, and done, without sending again.
   */
  atVendor?: string;
}

export interface RetryContext {
  store: Store;
  clock: Clock;
  log: Logger;
  /** The tenant's vendor, asked whether it knows the id given with `atVendor`. */
  vendor(tenant: string): Pick<AssessmentProvider, 'getStatus'>;
}

export interface RetriedAction {
  action: ActionRecord;
  /** The later actions of its decision, dropped because it failed: back to pending with it. */
  resumed: ActionRecord[];
}

/**
 * A failed (dead-lettered) action goes back to pending, due now, with its attempts reset, and the
 * rest of its decision (dropped when it failed) with it. A send that may have reached the vendor
 * needs the operator's word: not there (`notAtVendor`), and it goes back to be sent; there with
 * this id (`atVendor`), and it is recorded as sent and done. Never two invitations.
 */
export async function retryAction(
  context: RetryContext,
  actionId: string,
  retryOptions: RetryOptions = {},
): Promise<RetriedAction> {
  const { store, clock, log } = context;
  const { notAtVendor = false, atVendor } = retryOptions;
  if (notAtVendor && atVendor !== undefined) {
    throw conflict(
      'both-answers',
      `--at-vendor and --not-at-vendor are opposite answers: the vendor has the invitation of action ${actionId} or it does not; give one`,
    );
  }
  const record = await store.getAction(actionId);
  if (!record) throw new StagegateError('NOT_FOUND', `no action ${actionId}`);
  if (record.status !== 'failed') {
    throw conflict('not-failed', `action ${actionId} is ${record.status}; only failed actions are retried`);
  }
  const failed = (
    await store.listActions({
      tenant: record.tenant,
      status: 'failed',
      ...(record.opportunityId === null ? {} : { opportunityId: record.opportunityId }),
    })
  )
    .filter((other) => other.decisionId === record.decisionId)
    .sort((a, b) => a.index - b.index);
  const cause = failed.find((other) => other.index < record.index);
  if (cause) {
    throw conflict(
      'earlier-failed',
      `action ${actionId} was not run because action ${cause.id} of its decision failed; retry ${cause.id}, and this one comes back with it`,
    );
  }
  const later = failed.filter((other) => other.index > record.index);

  const action = record.action as Action;
  const flag = atVendor !== undefined ? '--at-vendor' : notAtVendor ? '--not-at-vendor' : undefined;
  if (flag !== undefined && action.type !== 'assessment.send') {
    throw conflict('not-a-send', `${flag} is for an assessment.send; action ${actionId} is ${action.type}`);
  }
  if (action.type === 'assessment.send') {
    const invitation = await store.getInvitation(invitationIdOf(record.id));
    if (atVendor !== undefined) {
      const done = await recordAtVendor(context, record, invitation, atVendor);
      return { action: done, resumed: await resume(store, clock, later) };
    }
    if (invitation?.status === 'sending') {
      if (!notAtVendor) {
        throw conflict(
          'in-doubt',
          `stagegate cannot tell whether the vendor received the invitation of action ${actionId} (${action.test}), so it does not send it again on its own. Check at the vendor: if the candidate has it there, run stagegate actions retry ${actionId} --at-vendor <vendor invitation id>; if not, run: stagegate actions retry ${actionId} --not-at-vendor`,
        );
      }
      await store.updateInvitation(invitation.id, { status: 'failed' });
      log.warn(
        { tenant: record.tenant, action: actionId, invitation: invitation.id },
        'an operator confirmed the invitation is not at the vendor: it may be sent again',
      );
    }
  }

  // The action first, then the later ones in order: a tick in between finds a pending prefix of
  // the decision followed by failed actions, which holds nothing back and drops nothing.
  const retried = await store.updateAction(actionId, dueNow(clock));
  return { action: retried, resumed: await resume(store, clock, later) };
}

function dueNow(clock: Clock) {
  return { status: 'pending', attempts: 0, nextAttemptAt: clock.now() } as const;
}

/** The later actions of the decision back to pending, due now, in order. */
async function resume(store: Store, clock: Clock, later: ActionRecord[]): Promise<ActionRecord[]> {
  const resumed: ActionRecord[] = [];
  for (const record of later) resumed.push(await store.updateAction(record.id, dueNow(clock)));
  return resumed;
}
