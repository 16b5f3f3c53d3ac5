import type { Logger } from 'pino';
import type { AssessmentProvider } from '../providers/types.js';
import type { InboxItem, InvitationRecord, Store } from '../store/types.js';

export type CheckOutcome = 'completed' | 'pending' | 'not-checked';

/**
 * Asks the vendor where an invitation stands (after its callback, or when the poller comes by). A
 * completion goes into the inbox as an `assessmentCompleted` event, deduplicated by invitation, so
 * the rules decide the tags, link and note; only then is the invitation marked completed, so a crash
 * in between is healed by the next check.
 */
export async function checkInvitation(options: {
  invitation: InvitationRecord;
  provider: AssessmentProvider;
  store: Store;
  now: number;
  log: Logger;
  onCompleted(item: InboxItem): void;
}): Promise<CheckOutcome> {
  const { invitation, provider, store, now } = options;
  if (!invitation.vendorInvitationId || (invitation.status !== 'sent' && invitation.status !== 'started')) {
    return 'not-checked';
  }
  const status = await provider.getStatus(invitation.vendorInvitationId);
  if (status.status !== 'complete') {
    if (status.status === 'started' && invitation.status === 'sent') {
      await store.updateInvitation(invitation.id, { status: 'started' });
    }
    return 'pending';
  }
  const accepted = await store.acceptDelivery({
    tenant: invitation.tenant,
    token: `completed:${invitation.id}`,
    event: 'assessmentCompleted',
    triggeredAt: now,
    opportunityId: invitation.opportunityId,
    payload: {
      event: 'assessmentCompleted',
      data: {
        invitationId: invitation.id,
        test: invitation.test,
        score: status.score,
        reportUrl: status.reportUrl,
      },
    },
  });
  await store.updateInvitation(invitation.id, {
    status: 'completed',
    ...(status.score === null ? {} : { score: status.score }),
    ...(status.reportUrl === null ? {} : { reportUrl: status.reportUrl }),
  });
  options.log.info(
    { tenant: invitation.tenant, invitation: invitation.id, score: status.score },
    'assessment completed',
  );
  if (!accepted.duplicate) options.onCompleted(accepted.item);
  return 'completed';
}
