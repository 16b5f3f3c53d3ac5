import { purgedMarker, scrubDecision, scrubFinishedAction, scrubInvitation } from '../records.js';
import type { Tombstone } from '../types.js';
import type { PartitionData } from './partition.js';

/**
 * Removes the candidate's personal data from every record of the opportunity, in memory; the
 * caller commits. Payloads the store does not interpret (inbox payload, the whole decision) are
 * replaced, not searched, since only their producer knows where personal data sits in them.
 * Pending and running actions keep their arguments: they may be what finishes the erasure
 * (cancelling an invitation). The tombstone then keeps the opportunity clean: the store scrubs
 * its actions as they finish and its invitations whenever they are written.
 */
export function purgePartition(data: PartitionData, opportunityId: string, now: number): Tombstone {
  const purgedInbox = new Set<string>();
  for (const item of data.inbox) {
    if (item.opportunityId !== opportunityId) continue;
    item.payload = { ...purgedMarker };
    purgedInbox.add(item.id);
  }
  const purgedDecisions = new Set<string>();
  for (const record of data.decisions) {
    const fromPurgedItem = record.inboxId !== null && purgedInbox.has(record.inboxId);
    if (record.opportunityId !== opportunityId && !fromPurgedItem) continue;
    scrubDecision(record);
    purgedDecisions.add(record.id);
  }
  for (const action of data.actions) {
    if (action.opportunityId === opportunityId || purgedDecisions.has(action.decisionId))
      scrubFinishedAction(action);
  }
  for (const invitation of data.invitations)
    if (invitation.opportunityId === opportunityId) scrubInvitation(invitation);
  const tombstone: Tombstone = { tenant: data.tenant, opportunityId, purgedAt: now };
  data.tombstones[opportunityId] = tombstone;
  return tombstone;
}
