import type { ActionRecord, DecisionRecord, InvitationRecord } from './types.js';

/**
 * What purgeCandidate leaves of a record, for every backend. Payloads the store does not interpret
 * (an inbox payload, a whole decision) are replaced by `purgedMarker`, not searched, since only
 * their producer knows where personal data sits in them.
 */
export const purgedMarker = { purged: true } as const;

/**
 * Arguments, result and error text of a finished action can quote the candidate (a note, an e-mail).
 * Pending and running actions keep their arguments: they may be what finishes the erasure
 * (cancelling an invitation), and are scrubbed as they finish.
 */
export function scrubFinishedAction(action: ActionRecord): void {
  if (action.status !== 'done' && action.status !== 'failed') return;
  action.action = { ...purgedMarker };
  delete action.result;
  delete action.lastError;
}

/** The candidate's name and e-mail, and the link to their report at the vendor. */
export function scrubInvitation(invitation: InvitationRecord): void {
  delete invitation.candidate;
  delete invitation.reportUrl;
}

/** The whole decision (its facts quote the candidate) and the e-mail it is indexed by. */
export function scrubDecision(decision: DecisionRecord): void {
  decision.decision = { ...purgedMarker };
  delete decision.email;
}
