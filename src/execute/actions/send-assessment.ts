import type { Action } from '../../kernel/actions.js';
import { StagegateError } from '../../kernel/errors.js';
import { invitationIdOf } from '../../kernel/invitation-id.js';
import type { ActionHandler } from '../types.js';

type SendAction = Extract<Action, { type: 'assessment.send' }>;

/**
 * Sends one invitation, at most once. The local record is written before the vendor is called and
 * completed after it; a retry that finds the record half-written (the process died, or the vendor's
 * answer was lost to a timeout or a broken connection) does not send again, because the vendor may
 * have the invitation: it fails for good, which puts the Error tag and a note on the candidate for
 * a person to check. Then `stagegate actions retry <id> --not-at-vendor` sends it, or
 * `--at-vendor <vendor invitation id>` records the one the vendor has.
 */
export const sendAssessment: ActionHandler<SendAction> = async (action, context) => {
  const { store, provider, record, decision, now, tenant } = context;
  const opportunityId = record.opportunityId;
  if (opportunityId === null) throw permanent('the action has no opportunity');
  const id = invitationIdOf(record.id);
  const existing = await store.getInvitation(id);
  if (existing?.vendorInvitationId)
    return { invitationId: id, vendorInvitationId: existing.vendorInvitationId };
  if (existing?.status === 'sending') {
    throw permanent(
      `stagegate cannot tell whether the vendor received the invitation for ${action.test}: the send was cut off before the vendor answered. Check at the vendor. If it is there: stagegate actions retry ${record.id} --at-vendor <vendor invitation id>. If not: stagegate actions retry ${record.id} --not-at-vendor`,
    );
  }

  const candidate = decision.facts.candidate;
  if (!candidate.email) throw permanent('the candidate has no e-mail address');
  const [firstName = '', ...rest] = (candidate.name ?? '').trim().split(/\s+/);
  await store.putInvitation({
    id,
    tenant: tenant.id,
    opportunityId,
    test: action.test,
    providerTestId: action.providerTestId,
    status: 'sending',
    candidate: { email: candidate.email, ...(candidate.name ? { name: candidate.name } : {}) },
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  try {
    const { vendorInvitationId } = await provider.sendTest({
      invitationId: id,
      providerTestId: action.providerTestId,
      candidate: {
        firstName,
        lastName: rest.join(' '),
        email: candidate.email,
        profileUrl: profileUrl(opportunityId),
      },
      callbackUrl: context.callbackUrl(id),
    });
    await store.updateInvitation(id, { status: 'sent', vendorInvitationId });
    return { invitationId: id, vendorInvitationId };
  } catch (error) {
    if (notReceived(error)) await store.updateInvitation(id, { status: 'failed' });
    throw error;
  }
};

/**
 * Whether the vendor certainly has no invitation, so that a retry may send: it answered with an
 * error status, or no connection was made at all (refused, no such host, no route). A timeout, a
 * connection broken after it was made, or a 2xx answer stagegate could not read leaves it open.
 */
function notReceived(error: unknown): boolean {
  if (!(error instanceof StagegateError)) return false;
  const status = error.details.status;
  const refusedAnswer = typeof status === 'number' && (status < 200 || status >= 300);
  return refusedAnswer || error.details.reason === 'refused';
}

function profileUrl(opportunityId: string): string {
  return `https://hire.lever.co/candidates/${encodeURIComponent(opportunityId)}`;
}

function permanent(message: string): StagegateError {
  return new StagegateError('PROVIDER_API', message, { details: { retryable: false } });
}
