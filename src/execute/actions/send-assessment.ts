import type { Action } from '../../kernel/actions.js';
import { StagegateError } from '../../kernel/errors.js';
import { invitationIdOf } from '../../kernel/invitation-id.js';
import type { ActionHandler } from '../types.js';

type SendAction = Extract<Action, { type: 'assessment.send' }>;

/**
 * Sends one invitation, at most once. The local record is written before the vendor is called and
 * completed after it; a retry that finds the record half-written (the process died, or the vendor's
 * answer was lost to a timeout) does not send again, because the vendor may have the invitation:
 * it fails for good, which puts the Error tag and a note on the candidate for a person to check.
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
      `stagegate cannot tell whether the vendor received the invitation for ${action.test} (the answer was lost); check at the vendor before sending it again`,
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
    // The vendor answered with an error: it has no invitation, so a retry may send again.
    const answered = error instanceof StagegateError && typeof error.details.status === 'number';
    if (answered) await store.updateInvitation(id, { status: 'failed' });
    throw error;
  }
};

function profileUrl(opportunityId: string): string {
  return `https://hire.lever.co/candidates/${encodeURIComponent(opportunityId)}`;
}

function permanent(message: string): StagegateError {
  return new StagegateError('PROVIDER_API', message, { details: { retryable: false } });
}
