import type { Action } from '../../kernel/actions.js';
import type { ActionHandler } from './run-action.js';

type Of<T extends Action['type']> = Extract<Action, { type: T }>;

/**
 * Cancelling is local: the partner protocol has no cancel call, so the invitation is marked
 * cancelled and the poller stops asking about it. Only the action's own tenant's invitations: an id
 * of another tenant's (or none at all) is left as it is and reported, never touched.
 */
export const cancelInvitations: ActionHandler<Of<'invitation.cancel'>> = async (
  action,
  { store, record, log },
) => {
  const cancelled: string[] = [];
  const notFound: string[] = [];
  for (const id of action.invitationIds) {
    const invitation = await store.getInvitation(id);
    if (invitation === undefined || invitation.tenant !== record.tenant) {
      notFound.push(id);
      continue;
    }
    // A completed one has its result: nothing left to cancel.
    if (invitation.status === 'completed') continue;
    await store.updateInvitation(id, { status: 'cancelled' });
    cancelled.push(id);
  }
  if (notFound.length > 0) {
    log.warn({ invitations: notFound }, 'invitation.cancel: no such invitation of this tenant; left alone');
  }
  return { cancelled, ...(notFound.length > 0 ? { notFound } : {}) };
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
