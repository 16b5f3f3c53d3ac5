import type { Action } from '../../kernel/actions.js';
import { StagegateError } from '../../kernel/errors.js';
import { classifyFailure } from '../../kernel/failure-class.js';
import { invitationIdOf } from '../../kernel/invitation-id.js';
import type { ActionHandler } from './run-action.js';

type SendAction = Extract<Action, { type: 'assessment.send' }>;

/**
 * Sends one invitation, at most once. The local record is written before the vendor is called and
 * completed after it. When the vendor may have the invitation without stagegate knowing its id (the
 * send failed `in-doubt`: a 500, 502 or 504, a timeout, a connection broken after it was made, an
 * unreadable 2xx; or a retry finds the record half-written because the process died), it is not
 * sent again: the action fails for good, in doubt, which puts the Error tag and a note on the
 * candidate for a person to check. Then `stagegate actions retry <id> --not-at-vendor` sends it, or
 * `--at-vendor <vendor invitation id>` records the one the vendor has. Only a failure that says the
 * vendor has nothing (retry-safe: 429, 503, no connection made) or refused the request (final)
 * leaves the invitation `failed`, free to be sent by a later try.
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
    throw inDoubt(record.id, action.test, 'the send was cut off before the vendor answered');
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
  const invitation = {
    invitationId: id,
    providerTestId: action.providerTestId,
    candidate: {
      firstName,
      lastName: rest.join(' '),
      email: candidate.email,
      profileUrl: candidate.profileUrl ?? profileUrl(opportunityId),
    },
    callbackUrl: context.callbackUrl(id),
  };
  let vendorInvitationId: string;
  try {
    ({ vendorInvitationId } = await provider.sendTest(invitation));
  } catch (error) {
    // The invitation stays `sending` when in doubt: that is what the operator's retry looks for.
    if (classifyFailure(error, { idempotent: false }) === 'in-doubt') {
      const why = error instanceof Error ? error.message : String(error);
      throw inDoubt(
        record.id,
        action.test,
        `the send failed after the vendor may have acted (${why})`,
        error,
      );
    }
    await store.updateInvitation(id, { status: 'failed' });
    throw error;
  }
  // Outside the catch: the vendor has it. Should this write fail, the invitation stays `sending`
  // and the retry fails in doubt; it never marks it failed, which would send it again.
  await store.updateInvitation(id, { status: 'sent', vendorInvitationId });
  return { invitationId: id, vendorInvitationId };
};

/** The failure of a send the vendor may have: final for the executor, with what the operator does. */
function inDoubt(actionId: string, test: string, why: string, cause?: unknown): StagegateError {
  const source = cause instanceof StagegateError ? cause.details : {};
  return new StagegateError(
    'PROVIDER_API',
    `stagegate cannot tell whether the vendor received the invitation for ${test}: ${why}. Check at the vendor. If it is there: stagegate actions retry ${actionId} --at-vendor <vendor invitation id>. If not: stagegate actions retry ${actionId} --not-at-vendor`,
    {
      details: { ...source, failureClass: 'in-doubt' },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** Lever's own `urls.show` is used when the decision has it (facts.candidate.profileUrl); decisions made before it was kept, or a Lever that gave none, get this form. */
function profileUrl(opportunityId: string): string {
  return `https://hire.lever.co/candidates/${encodeURIComponent(opportunityId)}`;
}

function permanent(message: string): StagegateError {
  return new StagegateError('PROVIDER_API', message, { details: { failureClass: 'final' } });
}
