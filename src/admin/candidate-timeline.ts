import type { Decision } from '../decide/types.js';
import type { FailureClass } from '../kernel/failure-class.js';
import type {
  ActionRecord,
  ActionStatus,
  CandidateRecords,
  DecisionRecord,
  InboxItem,
  InboxStatus,
  InvitationRecord,
  InvitationStatus,
} from '../store/types.js';

/** A delivery of Lever's (or a vendor's completion) as the inbox took it: `at` is its arrival. */
export interface DeliveryEntry {
  kind: 'delivery';
  at: number;
  id: string;
  event: string;
  status: InboxStatus;
  reason?: string;
  decisionId?: string;
  replayedAt?: number;
}

/** A decision of the rules: `at` is when it was made. `fired` and `reasons` are absent once purged. */
export interface DecisionEntry {
  kind: 'decision';
  at: number;
  id: string;
  event?: string;
  configVersion?: string;
  fired?: string[];
  reasons?: string[];
  actions?: string[];
  /** A failure decision (event actionFailed): the failed action it shows, and that action's decision. */
  failureOf?: { action: string; decision: string };
}

/** An action of the outbox as it stands now: `at` is its last change. */
export interface ActionEntry {
  kind: 'action';
  at: number;
  id: string;
  decisionId: string;
  /** The action's type; undefined once a purge replaced a finished action's arguments. */
  type?: string;
  status: ActionStatus;
  attempts: number;
  lastError?: string;
  failureClass?: FailureClass;
  /** When a pending action is tried next. */
  nextAttemptAt?: number;
}

/** An invitation at the vendor as it stands now: `at` is its last change. */
export interface InvitationEntry {
  kind: 'invitation';
  at: number;
  id: string;
  test: string;
  status: InvitationStatus;
  sentAt: number;
  score?: number;
  reportUrl?: string;
}

export type TimelineEntry = DeliveryEntry | DecisionEntry | ActionEntry | InvitationEntry;

/** What GET /admin/tenants/:tenant/candidates/:opportunityId answers. */
export interface CandidateTimeline {
  tenant: string;
  opportunityId: string;
  entries: TimelineEntry[];
}

const kindOrder: Record<TimelineEntry['kind'], number> = {
  delivery: 0,
  decision: 1,
  action: 2,
  invitation: 3,
};

/**
 * Everything stored about a candidate, one entry per record, in time order; at the same time a
 * delivery comes before its decision, a decision before its actions (the order they happen in).
 */
export function buildCandidateTimeline(
  tenant: string,
  opportunityId: string,
  records: CandidateRecords,
): CandidateTimeline {
  const entries: TimelineEntry[] = [
    ...records.inbox.map(deliveryEntry),
    ...records.decisions.map(decisionEntry),
    ...records.actions.map(actionEntry),
    ...records.invitations.map(invitationEntry),
  ];
  // Array.prototype.sort is stable: records of one kind keep their arrival order.
  entries.sort((a, b) => a.at - b.at || kindOrder[a.kind] - kindOrder[b.kind]);
  return { tenant, opportunityId, entries };
}

function deliveryEntry(item: InboxItem): DeliveryEntry {
  return {
    kind: 'delivery',
    at: item.receivedAt,
    id: item.id,
    event: item.event,
    status: item.status,
    ...(item.reason === undefined ? {} : { reason: item.reason }),
    ...(item.decisionId === undefined ? {} : { decisionId: item.decisionId }),
    ...(item.replayedAt === undefined ? {} : { replayedAt: item.replayedAt }),
  };
}

function decisionEntry(record: DecisionRecord): DecisionEntry {
  const entry: DecisionEntry = { kind: 'decision', at: record.createdAt, id: record.id };
  // A purged decision keeps only a marker: the entry then says only that it was made.
  const decision = record.decision as Partial<Decision> | null;
  if (typeof decision !== 'object' || decision === null || !Array.isArray(decision.fired)) return entry;
  return {
    ...entry,
    ...(typeof decision.event?.type === 'string' ? { event: decision.event.type } : {}),
    ...(typeof decision.configVersion === 'string' ? { configVersion: decision.configVersion } : {}),
    fired: decision.fired.map((rule) => rule.name),
    reasons: Array.isArray(decision.reasons) ? decision.reasons.map(String) : [],
    actions: Array.isArray(decision.actions) ? decision.actions.map((action) => String(action.type)) : [],
    ...(decision.failureOf === undefined ? {} : { failureOf: decision.failureOf }),
  };
}

function actionEntry(record: ActionRecord): ActionEntry {
  const type = (record.action as { type?: unknown } | null)?.type;
  return {
    kind: 'action',
    at: record.updatedAt,
    id: record.id,
    decisionId: record.decisionId,
    ...(typeof type === 'string' ? { type } : {}),
    status: record.status,
    attempts: record.attempts,
    ...(record.lastError === undefined ? {} : { lastError: record.lastError }),
    ...(record.failureClass === undefined ? {} : { failureClass: record.failureClass }),
    ...(record.status === 'pending' ? { nextAttemptAt: record.nextAttemptAt } : {}),
  };
}

function invitationEntry(record: InvitationRecord): InvitationEntry {
  return {
    kind: 'invitation',
    at: record.updatedAt,
    id: record.id,
    test: record.test,
    status: record.status,
    sentAt: record.createdAt,
    ...(record.score === undefined ? {} : { score: record.score }),
    ...(record.reportUrl === undefined ? {} : { reportUrl: record.reportUrl }),
  };
}
