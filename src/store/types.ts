import type { InvitationStatus } from '../kernel/facts.js';
import type { FailureClass } from '../kernel/failure-class.js';

/**
 * The durable store behind one interface. Every record is JSON: what goes in comes back after a
 * restart exactly as JSON.stringify/parse would give it. Times are milliseconds since the epoch.
 * Payloads the store does not interpret are `unknown`.
 */

export type InboxStatus = 'pending' | 'done' | 'skipped';

/** One accepted Lever delivery, waiting for (or done with) its decision. */
export interface InboxItem {
  id: string;
  tenant: string;
  /** Lever's delivery token: the dedupe key within a tenant. */
  token: string;
  event: string;
  triggeredAt: number;
  receivedAt: number;
  opportunityId: string | null;
  payload: unknown;
  status: InboxStatus;
  /** Why it was skipped. */
  reason?: string;
  decisionId?: string;
  /**
   * When an operator last put it back from skipped to pending (`stagegate inbox replay`). The
   * worker's retry windows count from here, not from receivedAt, which stays the arrival time.
   */
  replayedAt?: number;
}

/** Which inbox items listInbox returns; every field given must match. */
export interface InboxFilter {
  tenant?: string;
  status?: InboxStatus;
  /** Received at or after this time. */
  since?: number;
  /** At most this many, the oldest first. */
  limit?: number;
}

export interface DecisionRecord {
  id: string;
  tenant: string;
  opportunityId: string | null;
  inboxId: string | null;
  createdAt: number;
  decision: unknown;
  /**
   * The candidate's e-mail as Lever gave it when this was decided. Personal data: removed by
   * purgeCandidate. Indexed, normalised (normalizeEmail, src/store/records.ts), for findOpportunitiesByEmail.
   */
  email?: string;
}

export type ActionStatus = 'pending' | 'running' | 'done' | 'failed';

export interface ActionRecord {
  /** `${decisionId}:${index}`: the idempotency key of the action. */
  id: string;
  tenant: string;
  opportunityId: string | null;
  decisionId: string;
  index: number;
  action: unknown;
  status: ActionStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  /**
   * The class of `lastError` (src/kernel/failure-class.ts). A failed action `in-doubt` is a send the
   * vendor may have: `stagegate actions list --in-doubt` lists them for an operator to resolve.
   */
  failureClass?: FailureClass;
  result?: unknown;
  createdAt: number;
  updatedAt: number;
}

/** An invitation's status, as the `invitations.all` fact shows it (the fact catalogue's list). */
export type { InvitationStatus };

export interface InvitationRecord {
  id: string;
  tenant: string;
  opportunityId: string;
  test: string;
  providerTestId: string;
  status: InvitationStatus;
  vendorInvitationId?: string;
  /** Personal data: removed by purgeCandidate. */
  candidate?: { name?: string; email?: string };
  score?: number;
  reportUrl?: string;
  createdAt: number;
  updatedAt: number;
}

/** Everything stored about one opportunity of a tenant, each kind in arrival order. */
export interface CandidateRecords {
  inbox: InboxItem[];
  decisions: DecisionRecord[];
  actions: ActionRecord[];
  invitations: InvitationRecord[];
}

/** Left behind by purgeCandidate: the proof that a candidate's personal data was removed. */
export interface Tombstone {
  tenant: string;
  opportunityId: string;
  purgedAt: number;
}

export type DeliveryInput = Pick<
  InboxItem,
  'tenant' | 'token' | 'event' | 'triggeredAt' | 'opportunityId' | 'payload'
>;

export interface AcceptedDelivery {
  /** True when the token was seen for the tenant within the dedupe window: `item` is the first one. */
  duplicate: boolean;
  item: InboxItem;
}

export type InboxOutcome = { decision: DecisionRecord; actions: ActionRecord[] } | { skipped: string };

/** What the executor may change on an action; the store sets `updatedAt` unless given. */
export type ActionPatch = Partial<
  Pick<
    ActionRecord,
    'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'failureClass' | 'result' | 'updatedAt'
  >
>;

/** What may change on an invitation; the store sets `updatedAt` unless given. */
export type InvitationPatch = Partial<
  Pick<InvitationRecord, 'status' | 'vendorInvitationId' | 'candidate' | 'score' | 'reportUrl' | 'updatedAt'>
>;

/** How long finished records are kept. */
export interface Retention {
  /** Finished inbox items and decisions whose actions are all done (default 30 days). */
  decisionsMs: number;
  /** Dedupe tokens: the replay window (default 72 hours). */
  dedupeMs: number;
}

/** The ids prune removed, per kind, and how many dedupe tokens expired. */
export interface PruneReport {
  inbox: string[];
  decisions: string[];
  actions: string[];
  dedupeTokens: number;
}

/**
 * A secret the service obtained itself (an OAuth grant, the signature tokens of the webhooks it
 * registered), by tenant and kind. `sealed` is opaque to the store: the caller encrypts it
 * (src/store/credentials.ts), so no backend ever holds it in the clear.
 */
export interface CredentialRecord {
  tenant: string;
  kind: string;
  sealed: string;
  updatedAt: number;
}

/**
 * One tenant's activity since a time, for the console's tenants page (each backend's
 * create-console-operations.ts), read from the decisions made since then and the failed actions now.
 */
export interface TenantActivity {
  /** Decisions that send a test (an assessment.send among their actions). */
  sends: number;
  /** Decisions about an assessment the candidate completed. */
  completions: number;
  /** For each tag asked about: the decisions whose actions add it (a status tag: Pass, Fail, Error). */
  tagged: Record<string, number>;
  /** Failed actions now, whatever their age, and how many of those are in doubt. */
  deadLetters: number;
  inDoubt: number;
}

/**
 * Every method is async, and every method that changes something resolves only once the change is
 * durable (it rejects with STORE_FAILED when it is not). Unknown ids reject with NOT_FOUND.
 */
export interface Store {
  acceptDelivery(input: DeliveryInput): Promise<AcceptedDelivery>;
  /** Pending inbox items in arrival order. */
  pendingInbox(tenant?: string): Promise<InboxItem[]>;
  getInboxItem(id: string): Promise<InboxItem | undefined>;
  /** Marks the item done (with its decision and actions) or skipped, in one commit; a second call is a no-op. */
  completeInbox(id: string, outcome: InboxOutcome): Promise<InboxItem>;
  /** Inbox items in arrival order (receivedAt, then arrival), filtered. */
  listInbox(filter?: InboxFilter): Promise<InboxItem[]>;
  /**
   * Puts a skipped item back to pending, with `replayedAt: now` and no reason, keeping its place in
   * arrival order. Its dedupe token is not consulted. A pending or done item is refused (CONFLICT).
   */
  replayInbox(id: string, now: number): Promise<InboxItem>;
  /**
   * The inbox items this instance may decide now: of each opportunity (an item without one stands
   * alone) its oldest pending item, oldest first, at most `limit`; with `of`, only the one of that
   * item's opportunity. On PostgreSQL each comes with a claim on its opportunity, taken in the same
   * commit, that lasts a lease (15 s) and is renewed by each call without `of`: while it lives, no
   * other instance is handed that opportunity's items. A call with `of` that finds nothing pending
   * lets the claim go. The embedded stores belong to one process: they hand out every opportunity.
   */
  claimInbox(limit: number, of?: Pick<InboxItem, 'tenant' | 'opportunityId' | 'id'>): Promise<InboxItem[]>;

  /**
   * Stores a decision taken outside the inbox (the executor's decision of an `actionFailed` event),
   * with no actions of the outbox, in one commit. Its id is made from the event, so a second call
   * (a crash between it and the failed action's update, then the action failed again) is a no-op:
   * it answers the record stored first.
   */
  recordDecision(record: DecisionRecord): Promise<DecisionRecord>;
  getDecision(id: string): Promise<DecisionRecord | undefined>;
  listDecisions(filter?: { tenant?: string; opportunityId?: string }): Promise<DecisionRecord[]>;

  listActions(filter?: {
    tenant?: string;
    status?: ActionStatus;
    opportunityId?: string;
  }): Promise<ActionRecord[]>;
  getAction(id: string): Promise<ActionRecord | undefined>;
  /** Pending actions with nextAttemptAt <= now, oldest first (createdAt, then index). */
  dueActions(now: number, limit: number): Promise<ActionRecord[]>;
  updateAction(id: string, patch: ActionPatch): Promise<ActionRecord>;
  /**
   * Puts the actions left `running` by a process that is gone back to pending, due at `now`, and
   * returns them (at start). The embedded stores: every running action, since the process that
   * opened the store is the only one. PostgreSQL: only those of opportunities no live instance
   * claims (the claim's lease ran out, or none was held), claimed by this instance in the same
   * commit; `dueActions` does the same at every call, so a live instance takes over a dead one's.
   */
  recoverActions(now: number): Promise<ActionRecord[]>;

  /** Inserts or replaces the invitation with that id. */
  putInvitation(record: InvitationRecord): Promise<InvitationRecord>;
  getInvitation(id: string): Promise<InvitationRecord | undefined>;
  listInvitations(filter?: {
    tenant?: string;
    opportunityId?: string;
    status?: InvitationStatus;
  }): Promise<InvitationRecord[]>;
  updateInvitation(id: string, patch: InvitationPatch): Promise<InvitationRecord>;

  /** Removes the candidate's personal data from every record of the opportunity and leaves a tombstone. */
  purgeCandidate(tenant: string, opportunityId: string, now: number): Promise<Tombstone>;
  getTombstone(tenant: string, opportunityId: string): Promise<Tombstone | undefined>;

  /**
   * The opportunity's inbox items, decisions, actions and invitations (those whose `opportunityId`
   * is it), for the candidate timeline; undefined when none is stored or the opportunity has a
   * tombstone: a purged candidate is not found.
   */
  findCandidate(tenant: string, opportunityId: string): Promise<CandidateRecords | undefined>;
  /**
   * The ids of the tenant's opportunities whose decisions (`email`) or invitations
   * (`candidate.email`) carry this e-mail, both sides normalised by normalizeEmail; sorted, each
   * once, none with a tombstone. An empty or blank e-mail matches nothing.
   */
  findOpportunitiesByEmail(tenant: string, email: string): Promise<string[]>;

  /**
   * For the console: the tenant's activity since `since` (see TenantActivity), counting for each of
   * `tags` the decisions that add it; reads the decisions since then by their time, not every record.
   */
  countActivity(tenant: string, since: number, tags: readonly string[]): Promise<TenantActivity>;
  /** For the console: the tenant's newest decisions, newest first, at most `limit`. */
  recentDecisions(tenant: string, limit: number): Promise<DecisionRecord[]>;

  /** Retention: drops finished records past their age; pending things are never pruned. */
  prune(now: number): Promise<PruneReport>;

  /** Inserts or replaces the tenant's credential of that kind, in one commit (a rotated pair replaces both). */
  putCredential(record: CredentialRecord): Promise<void>;
  /**
   * Compare-and-swap: writes `record` only if the stored credential of its tenant and kind is still
   * `expectedSealed` (its `sealed` as read; null: only if there is none), in one commit. The sealed
   * text serves as the version: every seal has a fresh IV, so every write changes it. False, writing
   * nothing, when another write (here or on another instance) came first: the caller reads again.
   */
  putCredentialIf(record: CredentialRecord, expectedSealed: string | null): Promise<boolean>;
  getCredential(tenant: string, kind: string): Promise<CredentialRecord | undefined>;
  /**
   * Forgets it; true when there was one to forget. Of two concurrent deletes only one gets true.
   */
  deleteCredential(tenant: string, kind: string): Promise<boolean>;

  /** Rejects with STORE_FAILED when the store cannot write durably (for /readyz). */
  checkWritable(): Promise<void>;
  /** Writes what is pending and releases the store; later calls reject. */
  close(): Promise<void>;
}
