import type { Logger } from 'pino';
import type { TenantSnapshot } from '../config/types.js';
import type { Clock } from '../kernel/clock.js';
import type { AssessmentProvider } from '../providers/types.js';
import type { InboxItem, InvitationRecord, Store } from '../store/types.js';

const eightWeeksMs = 8 * 7 * 86_400_000;

/**
 * A missed callback never loses a result: every pending invitation is checked with the vendor
 * (hourly by default) until it completes, is cancelled (the candidate was archived or hired), or
 * is eight weeks old. One poll at a time: a call while one runs (the timer firing again before a
 * slow vendor let the last one finish) gets that one's result and starts nothing.
 */
export function createPoller(options: {
  store: Store;
  tenant(id: string): TenantSnapshot | undefined;
  provider(tenant: TenantSnapshot): AssessmentProvider;
  clock: Clock;
  log: Logger;
  onCompleted(item: InboxItem): void;
  maxAgeMs?: number;
}): { poll(): Promise<{ checked: number; completed: number }> } {
  const { store, clock, log } = options;
  const maxAge = options.maxAgeMs ?? eightWeeksMs;
  let running: Promise<{ checked: number; completed: number }> | null = null;

  const pollOnce = async () => {
    const now = clock.now();
    const pending = [
      ...(await store.listInvitations({ status: 'sent' })),
      ...(await store.listInvitations({ status: 'started' })),
    ].filter((invitation) => now - invitation.createdAt <= maxAge);
    let completed = 0;
    for (const invitation of pending) {
      const tenant = options.tenant(invitation.tenant);
      if (!tenant?.secrets) continue;
      try {
        const outcome = await checkInvitation({
          invitation,
          provider: options.provider(tenant),
          store,
          now,
          log,
          onCompleted: options.onCompleted,
        });
        if (outcome === 'completed') completed++;
      } catch (error) {
        log.warn(
          { err: error, tenant: invitation.tenant, invitation: invitation.id },
          'poll: vendor check failed',
        );
      }
    }
    return { checked: pending.length, completed };
  };

  return {
    poll() {
      running ??= pollOnce().finally(() => {
        running = null;
      });
      return running;
    },
  };
}

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
