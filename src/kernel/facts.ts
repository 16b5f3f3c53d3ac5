import type { FailureClass } from './failure-class.js';

/**
 * The facts a decision is made on: computed by enrich (from Lever and the store), read by rules.
 * The catalog lists each fact's fields so that the loader can check every `fact:` a rule names.
 */
export type InvitationStatus = 'sending' | 'sent' | 'started' | 'completed' | 'cancelled' | 'failed';

export interface InvitationFact {
  id: string;
  test: string;
  status: InvitationStatus;
  sentAt: number;
}

export interface Facts {
  event: { type: string; id: string; triggeredAt: number };
  tenant: { id: string; displayName: string };
  stage: {
    id: string | null;
    name: string | null;
    isTrigger: boolean;
    defaultTest: string | null;
    fromName: string | null;
  };
  candidate: {
    opportunityId: string | null;
    name: string | null;
    email: string | null;
    hasEmail: boolean;
    tags: string[];
    testTags: string[];
    statusTags: string[];
    archived: boolean;
    postingTitle: string | null;
    /** Why there is no posting title: Lever would not return the posting (404, 403). Null otherwise. */
    postingNote: string | null;
    /** The candidate's page in Lever (the opportunity's `urls.show`); null when Lever gave none. */
    profileUrl: string | null;
  };
  selection: {
    test: string | null;
    providerTestId: string | null;
    source: 'candidateTag' | 'posting' | 'stageDefault' | null;
    held: boolean;
    conflictingTags: string[];
    reason: string;
  };
  invitations: { all: InvitationFact[]; pending: string[]; pendingCount: number; forSelectedTest: number };
  resend: { isResend: boolean; allowed: boolean; reason: string };
  assessment: {
    invitationId: string | null;
    test: string | null;
    status: string | null;
    score: number | null;
    hasScore: boolean;
    scoreText: string;
    /** null when the vendor gave no report link (or a blank one). */
    reportUrl: string | null;
  };
  scoring: { pass: number | null; fail: number | null };
  statusTags: { sent: string; needsReview: string; pass: string; fail: string; error: string; all: string[] };
  options: Record<string, string | number | boolean>;
  /**
   * What failed, on an `actionFailed` event (an action dead-lettered: final, in doubt, or out of
   * retries); all null on other events. `subject` is what the action was about, as text: the test
   * of a send, the tags, links or stage.
   */
  failure: {
    actionId: string | null;
    action: string | null;
    subject: string | null;
    reason: string | null;
    class: FailureClass | null;
  };
}

/** Fact name -> its fields (null: free-form, any field). Kept in step with `Facts` by a type test. */
export const factCatalog: { readonly [K in keyof Facts]: readonly string[] | null } = {
  event: ['type', 'id', 'triggeredAt'],
  tenant: ['id', 'displayName'],
  stage: ['id', 'name', 'isTrigger', 'defaultTest', 'fromName'],
  candidate: [
    'opportunityId',
    'name',
    'email',
    'hasEmail',
    'tags',
    'testTags',
    'statusTags',
    'archived',
    'postingTitle',
    'postingNote',
    'profileUrl',
  ],
  selection: ['test', 'providerTestId', 'source', 'held', 'conflictingTags', 'reason'],
  invitations: ['all', 'pending', 'pendingCount', 'forSelectedTest'],
  resend: ['isResend', 'allowed', 'reason'],
  assessment: ['invitationId', 'test', 'status', 'score', 'hasScore', 'scoreText', 'reportUrl'],
  scoring: ['pass', 'fail'],
  statusTags: ['sent', 'needsReview', 'pass', 'fail', 'error', 'all'],
  options: null,
  failure: ['actionId', 'action', 'subject', 'reason', 'class'],
};

/** The events a decision can be about: Lever's webhooks, plus completions reported by a vendor. */
export const knownEventTypes = [
  'candidateStageChange',
  'candidateArchiveChange',
  'candidateHired',
  'candidateDeleted',
  'applicationCreated',
  'assessmentCompleted',
  'ping',
] as const;

/** The event the executor decides on when an action fails for good (not one of Lever's). */
export const actionFailedEvent = 'actionFailed';
