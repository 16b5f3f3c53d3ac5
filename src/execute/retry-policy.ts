import type { Logger } from 'pino';
import type { Action } from '../kernel/actions.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import { invitationIdOf } from '../kernel/invitation-id.js';
import type { AssessmentProvider } from '../providers/types.js';
import type { ActionRecord, InvitationRecord, Store } from '../store/types.js';

// How an action is tried again: by the executor on its own, after a retry-safe failure, waiting
// the schedule's next delay; and by an operator (`stagegate actions retry`), after it failed for good.

/**
 * The default wait before each retry of a failed action: quick at first, then hours; about 72 h in
 * all, after which the action is dead-lettered (failed) with its last error. Which failures are
 * retried at all is src/kernel/failure-class.ts's to say: the retry-safe ones.
 */
export const defaultRetrySchedule: readonly number[] = [
  30e3, 60e3, 120e3, 300e3, 600e3, 1_800e3, 3_600e3, 7_200e3, 14_400e3, 28_800e3, 43_200e3, 43_200e3,
  43_200e3, 43_200e3, 43_200e3,
].map((ms) => ms);

/** Parses `30s,1m,2h,1d` (the STAGEGATE_RETRY_SCHEDULE form) into milliseconds. */
export function parseRetrySchedule(text: string): number[] {
  const units: Record<string, number> = { s: 1e3, m: 60e3, h: 3_600e3, d: 86_400e3 };
  return text.split(',').map((part) => {
    const match = /^\s*(\d+)\s*([smhd])\s*$/.exec(part);
    if (!match)
      throw new StagegateError(
        'ENV_INVALID',
        `STAGEGATE_RETRY_SCHEDULE: '${part}' is not a duration like 30s, 5m, 2h or 1d`,
      );
    return Number(match[1]) * (units[match[2] ?? 's'] ?? 1e3);
  });
}

/** The wait before retry number `attempt` (1-based), with ±20 % jitter; undefined when retries ran out. */
export function nextRetryDelay(
  schedule: readonly number[],
  attempt: number,
  random: () => number,
): number | undefined {
  const base = schedule[attempt - 1];
  return base === undefined ? undefined : Math.round(base * (0.8 + 0.4 * random()));
}

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

/**
 * Records the invitation as sent with the vendor's id, once the vendor confirms it knows that id,
 * then the send as done. The invitation first: a crash in between leaves an invitation the poller
 * follows and a failed send, which a second `atVendor` with the same id (or a plain retry) finishes.
 */
async function recordAtVendor(
  context: RetryContext,
  record: ActionRecord,
  invitation: InvitationRecord | undefined,
  vendorInvitationId: string,
): Promise<ActionRecord> {
  const { store, log } = context;
  const recorded = invitation?.vendorInvitationId === vendorInvitationId;
  if (invitation === undefined || (invitation.status !== 'sending' && !recorded)) {
    const state = invitation === undefined ? 'was never written' : describe(invitation);
    throw conflict(
      'not-in-doubt',
      `--at-vendor records a send stagegate cannot tell the vendor received; the invitation of action ${record.id} ${state}, so retry it without the flag`,
    );
  }
  if (!recorded) {
    const taken = (await store.listInvitations({ tenant: record.tenant })).find(
      (other) => other.id !== invitation.id && other.vendorInvitationId === vendorInvitationId,
    );
    if (taken) {
      throw conflict(
        'vendor-id-taken',
        `vendor invitation ${vendorInvitationId} is already recorded for invitation ${taken.id} (opportunity ${taken.opportunityId}); check the id. Nothing was changed.`,
      );
    }
    const status = await askVendor(context.vendor(record.tenant), vendorInvitationId);
    await store.updateInvitation(invitation.id, { status: 'sent', vendorInvitationId });
    log.warn(
      {
        tenant: record.tenant,
        action: record.id,
        invitation: invitation.id,
        vendorInvitationId,
        vendorStatus: status,
      },
      'an operator confirmed the invitation is at the vendor: recorded as sent, not sent again',
    );
  }
  return store.updateAction(record.id, {
    status: 'done',
    result: { invitationId: invitation.id, vendorInvitationId, recordedBy: 'operator' },
  });
}

/** The vendor's status for the id; a 404 is a mistyped id, and anything else it cannot confirm. */
async function askVendor(
  vendor: Pick<AssessmentProvider, 'getStatus'>,
  vendorInvitationId: string,
): Promise<string> {
  try {
    return (await vendor.getStatus(vendorInvitationId)).status;
  } catch (error) {
    const failure = toStagegateError(error);
    if (failure.code === 'PROVIDER_API' && failure.details.status === 404) {
      throw new StagegateError(
        'NOT_FOUND',
        `the vendor has no invitation ${vendorInvitationId}; check the id. Nothing was changed.`,
        { details: { reason: 'not-at-vendor' }, cause: error },
      );
    }
    throw new StagegateError(
      'CONFLICT',
      `the vendor could not confirm invitation ${vendorInvitationId} (${failure.message}). Nothing was changed; try again.`,
      { details: { reason: 'vendor-unchecked' satisfies RetryRefusal }, cause: error },
    );
  }
}

function describe(invitation: InvitationRecord): string {
  const id = invitation.vendorInvitationId;
  return `is ${invitation.status}${id === undefined ? '' : ` as vendor invitation ${id}`}`;
}

/** Why a retry was refused, in `details.reason` of the CONFLICT error. */
type RetryRefusal =
  | 'not-failed'
  | 'earlier-failed'
  | 'in-doubt'
  | 'not-a-send'
  | 'both-answers'
  | 'not-in-doubt'
  | 'vendor-id-taken'
  | 'vendor-unchecked';

/** A retry that does not apply to the action as it stands: 409, with the reason in `details`. */
function conflict(reason: RetryRefusal, message: string): StagegateError {
  return new StagegateError('CONFLICT', message, { details: { reason } });
}
