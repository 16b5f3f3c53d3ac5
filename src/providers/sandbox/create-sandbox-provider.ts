import { createProviderError } from '../create-provider-error.js';
import type { AssessmentProvider, InvitationStatus, ProviderInvitation, ProviderTest } from '../types.js';

export interface SandboxProviderOptions {
  /** What `listTests` answers; `sendTest` accepts any test id, listed or not. */
  tests?: readonly ProviderTest[];
  /**
   * Whether stagegate's own records hold this sandbox invitation: asked for an id the sandbox does
   * not know, so that invitations sent before a restart can still be checked and completed.
   */
  recall?(vendorInvitationId: string): Promise<boolean>;
}

export interface SandboxInvitation {
  vendorInvitationId: string;
  /** What stagegate sent, as given; null for one recalled from the store after a restart. */
  invitation: ProviderInvitation | null;
  status: InvitationStatus;
  score: number | null;
  reportUrl: string | null;
}

export interface SandboxProvider extends AssessmentProvider {
  /** Every invitation sent so far, oldest first; copies. */
  invitations(): SandboxInvitation[];
  /** Marks an invitation complete, as a candidate finishing the test would. */
  complete(vendorInvitationId: string, score: number | null, reportUrl?: string): Promise<void>;
}

/**
 * A vendor with no network, for the demo and for trials: nothing happens until `complete` is
 * called, and it does not call the callback URL back; whoever calls `complete` also triggers the
 * status check. An invitation's id is `sbx-` and stagegate's own invitation id, so a send repeated
 * after a crash gets the same id, and ids never repeat across restarts. Invitations live in
 * memory; one sent before a restart comes back as sent when `recall` finds it in the store.
 */
export function createSandboxProvider(options: SandboxProviderOptions = {}): SandboxProvider {
  const tests = (options.tests ?? []).map((test) => ({ id: test.id, name: test.name }));
  const invitations = new Map<string, SandboxInvitation>();
  const recall = options.recall ?? (async () => false);

  async function find(vendorInvitationId: string, method: string, path: string): Promise<SandboxInvitation> {
    let found = invitations.get(vendorInvitationId);
    if (found === undefined && (await recall(vendorInvitationId))) {
      found = { vendorInvitationId, invitation: null, status: 'sent', score: null, reportUrl: null };
      invitations.set(vendorInvitationId, found);
    }
    if (found === undefined) {
      throw createProviderError(
        `Assessment vendor: the vendor rejected the request: no invitation ${vendorInvitationId} in the sandbox`,
        { status: 404, failureClass: 'final', vendorErrors: ['unknown invitation'], method, path },
      );
    }
    return found;
  }

  return {
    async listTests() {
      return tests.map((test) => ({ ...test }));
    },

    async sendTest(invitation) {
      const vendorInvitationId = `sbx-${invitation.invitationId}`;
      if (!invitations.has(vendorInvitationId)) {
        invitations.set(vendorInvitationId, {
          vendorInvitationId,
          invitation: structuredClone(invitation),
          status: 'sent',
          score: null,
          reportUrl: null,
        });
      }
      return { vendorInvitationId };
    },

    async getStatus(vendorInvitationId) {
      const { status, score, reportUrl } = await find(vendorInvitationId, 'GET', '/test_status');
      return { status, score, reportUrl, metadata: { sandbox: true } };
    },

    invitations() {
      return [...invitations.values()].map((entry) => structuredClone(entry));
    },

    async complete(vendorInvitationId, score, reportUrl) {
      if (score !== null && !Number.isFinite(score))
        throw new RangeError(`score must be a number, got ${score}`);
      const found = await find(vendorInvitationId, 'complete', '/complete');
      found.status = 'complete';
      found.score = score;
      found.reportUrl = reportUrl ?? `sandbox://report/${encodeURIComponent(vendorInvitationId)}`;
    },
  };
}
