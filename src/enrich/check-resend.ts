import type { TenantSettings } from '../config/types.js';
import type { Facts, InvitationFact } from '../kernel/facts.js';

/**
 * The invitations the vendor has, or may have: each counts as an earlier invitation. `cancelled` is
 * one of them, because cancelling is local (the partner protocol has no cancel call): the vendor
 * keeps the invitation and the candidate's link still works. `failed` is not: the vendor answered
 * the send with an error, so it has nothing.
 */
const received: ReadonlySet<string> = new Set(['sending', 'sent', 'started', 'completed', 'cancelled']);

/** Whether the selected test may be sent, given earlier invitations of the same test and the tenant's policy. */
export function checkResend(
  policy: TenantSettings['resend'],
  earlier: readonly InvitationFact[],
  test: string | null,
  now: number,
): Facts['resend'] {
  const same = earlier.filter((invitation) => invitation.test === test && received.has(invitation.status));
  if (test === null || same.length === 0)
    return { isResend: false, allowed: true, reason: 'first invitation for this test' };
  const latest = same.reduce((a, b) => (b.sentAt > a.sentAt ? b : a));
  const has = (...statuses: InvitationFact['status'][]) =>
    same.some((invitation) => statuses.includes(invitation.status));
  const refused = (reason: string) => ({ isResend: true, allowed: false, reason });
  switch (policy.policy) {
    case 'never':
      return refused(
        latest.status === 'cancelled'
          ? `${test} was already sent; it was cancelled here, but the vendor still has it (resend policy: never)`
          : `${test} was already sent (resend policy: never)`,
      );
    case 'ifNotStarted':
      // Only an invitation known to be unstarted may be followed by another. A cancelled one is not
      // known to be: cancelling overwrites a `started` status, the poller stops asking the vendor
      // about it, and its link still works, so the candidate may have started it (even since coming
      // back). Refusing keeps the policy's promise, never a second attempt at a test once seen, at the
      // cost of a returning candidate not getting a fresh link. One still being sent (waiting in the
      // outbox, or with the vendor's answer lost) is refused too: a second would be a duplicate.
      if (has('started', 'completed'))
        return refused(`${test} was already started (resend policy: ifNotStarted)`);
      if (has('cancelled'))
        return refused(
          `${test} was sent, then cancelled here; the vendor still has it and stagegate cannot tell whether it was started (resend policy: ifNotStarted)`,
        );
      if (has('sending')) return refused(`${test} is still being sent (resend policy: ifNotStarted)`);
      return { isResend: true, allowed: true, reason: `${test} was sent but not started: sending again` };
    case 'after': {
      // Measured from the latest send, whatever became of it: a cancelled invitation was received too.
      const wait = policy.afterMs ?? 0;
      const age = now - latest.sentAt;
      const days = (ms: number) => `${Math.floor(ms / 86_400_000)}d`;
      return age >= wait
        ? { isResend: true, allowed: true, reason: `${test} was last sent ${days(age)} ago: sending again` }
        : refused(`${test} was sent ${days(age)} ago; the tenant resends after ${days(wait)}`);
    }
  }
}
