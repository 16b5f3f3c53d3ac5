import { describe, expect, it } from 'vitest';
import type { TenantSettings } from '../../../src/config/types.js';
import { checkResend } from '../../../src/enrich/check-resend.js';
import type { InvitationFact, InvitationStatus } from '../../../src/kernel/facts.js';

const day = 86_400_000;
const now = Date.parse('2026-01-01T00:00:00Z');
const test = 'Backend - Python';

const never: TenantSettings['resend'] = { policy: 'never', afterMs: null };
const ifNotStarted: TenantSettings['resend'] = { policy: 'ifNotStarted', afterMs: null };
const after30d: TenantSettings['resend'] = { policy: 'after', afterMs: 30 * day };

function sent(status: InvitationStatus, daysAgo = 1, other = test): InvitationFact {
  return { id: `inv-${status}-${daysAgo}`, test: other, status, sentAt: now - daysAgo * day };
}

describe('checkResend', () => {
  it('allows the first invitation of a test under every policy', () => {
    for (const policy of [never, ifNotStarted, after30d]) {
      expect(checkResend(policy, [], test, now)).toEqual({
        isResend: false,
        allowed: true,
        reason: 'first invitation for this test',
      });
      // Another test's invitations and ones the vendor refused (failed) are not earlier invitations.
      expect(checkResend(policy, [sent('sent', 1, 'Data - SQL'), sent('failed')], test, now).allowed).toBe(
        true,
      );
    }
  });

  describe('never', () => {
    it.each<InvitationStatus>(['sending', 'sent', 'started', 'completed'])(
      'refuses after a %s one',
      (status) => {
        expect(checkResend(never, [sent(status)], test, now)).toMatchObject({
          isResend: true,
          allowed: false,
        });
      },
    );

    it('refuses after a cancelled one: cancelling is local, the vendor still has the invitation', () => {
      const resend = checkResend(never, [sent('cancelled')], test, now);
      expect(resend).toMatchObject({ isResend: true, allowed: false });
      expect(resend.reason).toMatch(/cancelled/);
    });
  });

  describe('ifNotStarted', () => {
    it('sends again while the one sent has not been started', () => {
      expect(checkResend(ifNotStarted, [sent('sent')], test, now)).toEqual({
        isResend: true,
        allowed: true,
        reason: `${test} was sent but not started: sending again`,
      });
    });

    it.each<InvitationStatus>(['started', 'completed'])('refuses once one was %s', (status) => {
      const resend = checkResend(ifNotStarted, [sent('sent', 3), sent(status, 2)], test, now);
      expect(resend).toEqual({
        isResend: true,
        allowed: false,
        reason: `${test} was already started (resend policy: ifNotStarted)`,
      });
    });

    it('refuses after a cancelled one: whether it was started can no longer be known', () => {
      const resend = checkResend(ifNotStarted, [sent('cancelled')], test, now);
      expect(resend).toMatchObject({ isResend: true, allowed: false });
      expect(resend.reason).toMatch(/cancelled/);
    });

    it('refuses while one is still being sent, so two quick moves into the stage send once', () => {
      const resend = checkResend(ifNotStarted, [sent('sending', 0)], test, now);
      expect(resend).toMatchObject({ isResend: true, allowed: false });
      expect(resend.reason).toMatch(/being sent/);
    });
  });

  describe('after', () => {
    it('sends again once the wait has passed since the latest invitation, whatever its status', () => {
      expect(checkResend(after30d, [sent('completed', 30)], test, now)).toEqual({
        isResend: true,
        allowed: true,
        reason: `${test} was last sent 30d ago: sending again`,
      });
      expect(checkResend(after30d, [sent('completed', 45), sent('sent', 10)], test, now)).toEqual({
        isResend: true,
        allowed: false,
        reason: `${test} was sent 10d ago; the tenant resends after 30d`,
      });
    });

    it('counts a cancelled invitation from when it was sent', () => {
      expect(checkResend(after30d, [sent('cancelled', 10)], test, now)).toMatchObject({
        isResend: true,
        allowed: false,
      });
      expect(checkResend(after30d, [sent('cancelled', 31)], test, now)).toMatchObject({
        isResend: true,
        allowed: true,
      });
    });
  });
});
