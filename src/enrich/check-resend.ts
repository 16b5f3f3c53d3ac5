import type { TenantSettings } from '../config/types.js';
import type { Facts, InvitationFact } from '../kernel/facts.js';

const live: ReadonlySet<string> = new Set(['sending', 'sent', 'started', 'completed']);

/** Whether the selected test may be sent, given earlier invitations of the same test and the tenant's policy. */
export function checkResend(
  policy: TenantSettings['resend'],
  earlier: readonly InvitationFact[],
  test: string | null,
  now: number,
): Facts['resend'] {
  const same = earlier.filter((invitation) => invitation.test === test && live.has(invitation.status));
  if (test === null || same.length === 0)
    return { isResend: false, allowed: true, reason: 'first invitation for this test' };
  const latest = same.reduce((a, b) => (b.sentAt > a.sentAt ? b : a));
  switch (policy.policy) {
    case 'never':
      return { isResend: true, allowed: false, reason: `${test} was already sent (resend policy: never)` };
    case 'ifNotStarted': {
      const started = same.some(
        (invitation) => invitation.status === 'started' || invitation.status === 'completed',
      );
      return started
        ? {
            isResend: true,
            allowed: false,
            reason: `${test} was already started (resend policy: ifNotStarted)`,
          }
        : { isResend: true, allowed: true, reason: `${test} was sent but not started: sending again` };
    }
    case 'after': {
      const wait = policy.afterMs ?? 0;
      const age = now - latest.sentAt;
      const days = (ms: number) => `${Math.floor(ms / 86_400_000)}d`;
      return age >= wait
        ? { isResend: true, allowed: true, reason: `${test} was last sent ${days(age)} ago: sending again` }
        : {
            isResend: true,
            allowed: false,
            reason: `${test} was sent ${days(age)} ago; the tenant resends after ${days(wait)}`,
          };
    }
  }
}
