import type { Logger } from 'pino';
import type { TenantSnapshot } from '../config/types.js';
import type { Clock } from '../kernel/clock.js';
import type { AssessmentProvider } from '../providers/types.js';
import type { InboxItem, Store } from '../store/types.js';
import { checkInvitation } from './check-invitation.js';

export const eightWeeksMs = 8 * 7 * 86_400_000;

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
