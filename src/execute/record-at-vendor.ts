import { StagegateError, toStagegateError } from '../kernel/errors.js';
import type { AssessmentProvider } from '../providers/types.js';
import type { ActionRecord, InvitationRecord } from '../store/types.js';
import type { RetryContext } from './retry-action.js';
import { conflict, type RetryRefusal } from './retry-refusal.js';

/**
 * Records the invitation as sent with the vendor's id, once the vendor confirms it knows that id,
 * then the send as done. The invitation first: a crash in between leaves an invitation the poller
 * follows and a failed send, which a second `atVendor` with the same id (or a plain retry) finishes.
 */
export async function recordAtVendor(
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
