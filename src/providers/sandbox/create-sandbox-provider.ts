import { createProviderError } from '../create-provider-error.js';
import type { AssessmentProvider, InvitationStatus, ProviderInvitation, ProviderTest } from '../types.js';

export interface SandboxProviderOptions {
  /** What `listTests` answers; `sendTest` accepts any test id, listed or not. */
  tests?: readonly ProviderTest[];
}

export interface SandboxInvitation {
  vendorInvitationId: string;
  /** What stagegate sent, as given. */
  invitation: ProviderInvitation;
  status: InvitationStatus;
  score: number | null;
  reportUrl: string | null;
}

export interface SandboxProvider extends AssessmentProvider {
  /** Every invitation sent so far, oldest first; copies. */
  invitations(): SandboxInvitation[];
  /** Marks an invitation complete, as a candidate finishing the test would. */
  complete(vendorInvitationId: string, score: number | null, reportUrl?: string): void;
}

/**
 * A vendor with no network, for the demo and for trials: invitations live in memory, ids are
 * `sbx-1`, `sbx-2`, … in order, and nothing happens until `complete` is called. It does not call
 * the callback URL back; whoever calls `complete` also triggers the status check.
 */
export function createSandboxProvider(options: SandboxProviderOptions = {}): SandboxProvider {
  const tests = (options.tests ?? []).map((test) => ({ id: test.id, name: test.name }));
  const invitations = new Map<string, SandboxInvitation>();
  let sequence = 0;

  function find(vendorInvitationId: string, method: string, path: string): SandboxInvitation {
    const found = invitations.get(vendorInvitationId);
    if (found === undefined) {
      throw createProviderError(
        `Assessment vendor: the vendor rejected the request: no invitation ${vendorInvitationId} in the sandbox`,
        { status: 404, retryable: false, vendorErrors: ['unknown invitation'], method, path },
      );
    }
    return found;
  }

  return {
    async listTests() {
      return tests.map((test) => ({ ...test }));
    },

    async sendTest(invitation) {
      const vendorInvitationId = `sbx-${++sequence}`;
      invitations.set(vendorInvitationId, {
        vendorInvitationId,
        invitation: structuredClone(invitation),
        status: 'sent',
        score: null,
        reportUrl: null,
      });
      return { vendorInvitationId };
    },

    async getStatus(vendorInvitationId) {
      const { status, score, reportUrl } = find(vendorInvitationId, 'GET', '/test_status');
      return { status, score, reportUrl, metadata: { sandbox: true } };
    },

    invitations() {
      return [...invitations.values()].map((entry) => structuredClone(entry));
    },

    complete(vendorInvitationId, score, reportUrl) {
      if (score !== null && !Number.isFinite(score))
        throw new RangeError(`score must be a number, got ${score}`);
      const found = find(vendorInvitationId, 'complete', '/complete');
      found.status = 'complete';
      found.score = score;
      found.reportUrl = reportUrl ?? `sandbox://report/${encodeURIComponent(vendorInvitationId)}`;
    },
  };
}
