import type { Action } from '../../kernel/actions.js';
import type { ActionHandler } from '../types.js';

type Of<T extends Action['type']> = Extract<Action, { type: T }>;

/**
 * Cancelling is local: the partner protocol has no cancel call, so the invitation is marked
 * cancelled and the poller stops asking about it.
 */
export const cancelInvitations: ActionHandler<Of<'invitation.cancel'>> = async (action, { store }) => {
  for (const id of action.invitationIds) {
    const invitation = await store.getInvitation(id);
    if (invitation && invitation.status !== 'completed')
      await store.updateInvitation(id, { status: 'cancelled' });
  }
  return { cancelled: action.invitationIds };
};

/** A candidate deleted in Lever: their personal data goes; a tombstone stays. */
export const purgeCandidate: ActionHandler<Of<'candidate.purge'>> = async (
  _action,
  { store, record, now },
) => {
  if (record.opportunityId === null) return { purged: false };
  await store.purgeCandidate(record.tenant, record.opportunityId, now);
  return { purged: true };
};
