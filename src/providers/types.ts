import type { FailureClass, NoAnswerReason } from '../kernel/failure-class.js';

/** One test the vendor offers, as stagegate names it. */
export interface ProviderTest {
  id: string;
  name: string;
}

export interface ProviderCandidate {
  firstName: string;
  lastName: string;
  email: string;
  /** The candidate's page in Lever; the vendor shows it next to the results. */
  profileUrl: string;
}

export interface ProviderInvitation {
  /** stagegate's own id for the invitation (the outbox record). */
  invitationId: string;
  providerTestId: string;
  candidate: ProviderCandidate;
  /** Where the vendor sends `PATCH` when the candidate has finished. */
  callbackUrl: string;
}

/** Vendors may report statuses of their own; only `complete` means results are ready. */
export type InvitationStatus = 'sent' | 'started' | 'complete' | (string & Record<never, never>);

export interface ProviderStatus {
  status: InvitationStatus;
  score: number | null;
  /** Always set when the status is `complete`. */
  reportUrl: string | null;
  /** Flat primitives the vendor adds; kept as given. */
  metadata: Record<string, unknown>;
}

/**
 * The one interface an assessment vendor is reached through. Each call is one attempt: failures
 * are StagegateError('PROVIDER_API') with `details.failureClass`, and the outbox decides when to
 * retry. `sendTest` is not idempotent: a failure after which the vendor may have the invitation is
 * `in-doubt`, never `retry-safe`.
 */
export interface AssessmentProvider {
  listTests(): Promise<ProviderTest[]>;
  sendTest(invitation: ProviderInvitation): Promise<{ vendorInvitationId: string }>;
  getStatus(vendorInvitationId: string): Promise<ProviderStatus>;
}

/** What every PROVIDER_API error carries in `details`. */
export interface ProviderErrorDetails {
  /** The vendor's HTTP status; null when there was no answer (timeout, network). */
  status: number | null;
  /** Whether trying again is safe, in doubt or pointless: src/kernel/failure-class.ts. */
  failureClass: FailureClass;
  /** The vendor's own error texts, when it gave any. */
  vendorErrors?: string[];
  method: string;
  path: string;
  /** Why there was no usable answer, when there was none. */
  reason?: NoAnswerReason;
}
