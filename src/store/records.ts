// What every backend does to a stored record alike, written once so the three cannot drift: records
// copied as JSON keeps them, the tenant checked, an inbox item made, completed and replayed, patches
// cut to the fields they may change, personal data scrubbed on a purge, e-mails normalised for the
// lookup, the console's text needles, and how long finished records are kept.
import { randomUUID } from 'node:crypto';
import { StagegateError } from '../kernel/errors.js';
import type {
  ActionPatch,
  ActionRecord,
  DecisionRecord,
  DeliveryInput,
  InboxItem,
  InvitationPatch,
  InvitationRecord,
  Retention,
} from './types.js';

/**
 * A deep copy as the store keeps records: what JSON keeps (undefined properties dropped, dates as
 * text). Records go in and come out as copies, so memory holds what a restart reads back and a
 * caller cannot change a stored record without a commit.
 */
export function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Every record belongs to a tenant; a missing one is a bug in the caller, caught before anything is written. */
export function checkTenant(tenant: unknown): void {
  if (typeof tenant !== 'string' || tenant === '') {
    throw new StagegateError('INTERNAL', `A store record needs a tenant, got ${JSON.stringify(tenant)}.`);
  }
}

/** A delivery received at `now`, as a new pending inbox item copied the way the store keeps records. */
export function createInboxItem(input: DeliveryInput, now: number): InboxItem {
  return copyJson({
    id: `inb_${randomUUID()}`,
    tenant: input.tenant,
    token: input.token,
    event: input.event,
    triggeredAt: input.triggeredAt,
    receivedAt: now,
    opportunityId: input.opportunityId,
    payload: input.payload ?? null,
    status: 'pending',
  });
}

/**
 * A decision and its actions must belong to the inbox item they complete, and each action's id must
 * be its idempotency key; a mismatch is a bug in the caller, caught before anything is written.
 */
export function checkInboxOutcome(item: InboxItem, decision: DecisionRecord, actions: ActionRecord[]): void {
  const problems: string[] = [];
  if (decision.tenant !== item.tenant) problems.push(`the decision's tenant is ${decision.tenant}`);
  if (decision.inboxId !== item.id) problems.push(`the decision's inboxId is ${decision.inboxId}`);
  const ids = new Set<string>();
  for (const action of actions) {
    if (action.id !== `${decision.id}:${action.index}`)
      problems.push(`action ${action.id} is not ${decision.id}:${action.index}`);
    if (action.decisionId !== decision.id)
      problems.push(`action ${action.id} has decisionId ${action.decisionId}`);
    if (action.tenant !== item.tenant) problems.push(`action ${action.id} has tenant ${action.tenant}`);
    if (ids.has(action.id)) problems.push(`action ${action.id} appears twice`);
    ids.add(action.id);
  }
  if (problems.length > 0) {
    throw new StagegateError(
      'INTERNAL',
      `Cannot complete inbox item ${item.id} (tenant ${item.tenant}): ${problems.join('; ')}.`,
      {
        details: { inboxId: item.id, problems },
      },
    );
  }
}

/**
 * The change replayInbox makes to a skipped item, the same on every backend: pending again, due
 * now, its skip reason gone (the log line of the replay keeps it). Anything but a skipped item is
 * refused: a decided one has its decision and actions already, and a pending one is queued.
 */
export function replayInboxItem(item: InboxItem, now: number): void {
  if (item.status !== 'skipped') {
    throw new StagegateError(
      'CONFLICT',
      item.status === 'done'
        ? `inbox item ${item.id} was decided (decision ${item.decisionId ?? '?'}): only a skipped delivery can be replayed`
        : `inbox item ${item.id} is pending already: the worker has it`,
      { details: { id: item.id, status: item.status } },
    );
  }
  item.status = 'pending';
  delete item.reason;
  item.replayedAt = now;
}

/** The fields a patch may change, for every backend: a caller spreading a whole record cannot move it to another tenant. */
export const actionPatchKeys = [
  'status',
  'attempts',
  'nextAttemptAt',
  'lastError',
  'failureClass',
  'result',
  'updatedAt',
] as const satisfies readonly (keyof ActionPatch)[];

export const invitationPatchKeys = [
  'status',
  'vendorInvitationId',
  'candidate',
  'score',
  'reportUrl',
  'updatedAt',
] as const satisfies readonly (keyof InvitationPatch)[];

/** Only the allowed keys of a patch, copied: a caller spreading a whole record cannot move it to another tenant. */
export function pickPatch<K extends string>(
  patch: Partial<Record<K, unknown>>,
  keys: readonly K[],
): Partial<Record<K, unknown>> {
  const picked: Partial<Record<K, unknown>> = {};
  for (const key of keys) if (patch[key] !== undefined) picked[key] = patch[key];
  return copyJson(picked);
}

/**
 * What purgeCandidate leaves of a record, for every backend. Payloads the store does not interpret
 * (an inbox payload, a whole decision) are replaced by `purgedMarker`, not searched, since only
 * their producer knows where personal data sits in them.
 */
export const purgedMarker = { purged: true } as const;

/**
 * Arguments, result and error text of a finished action can quote the candidate (a note, an e-mail).
 * Pending and running actions keep their arguments: they may be what finishes the erasure
 * (cancelling an invitation), and are scrubbed as they finish.
 */
export function scrubFinishedAction(action: ActionRecord): void {
  if (action.status !== 'done' && action.status !== 'failed') return;
  action.action = { ...purgedMarker };
  delete action.result;
  delete action.lastError;
}

/** The candidate's name and e-mail, and the link to their report at the vendor. */
export function scrubInvitation(invitation: InvitationRecord): void {
  delete invitation.candidate;
  delete invitation.reportUrl;
}

/** The whole decision (its facts quote the candidate) and the e-mail it is indexed by. */
export function scrubDecision(decision: DecisionRecord): void {
  decision.decision = { ...purgedMarker };
  delete decision.email;
}

/**
 * The form in which e-mails are indexed and looked up: ASCII whitespace trimmed, ASCII letters
 * lower-cased. Only ASCII, so that SQL (`lower(trim(x, …))` in SQLite, the same in PostgreSQL with
 * the C collation) and JavaScript agree byte for byte; a non-ASCII letter matches only as written.
 */
export function normalizeEmail(email: string): string {
  return email
    .replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '')
    .replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** The SQL expression of normalizeEmail over a text expression (SQLite; PostgreSQL with btrim). */
export function normalizedEmailSql(expression: string): string {
  return `lower(trim(${expression}, char(32, 9, 10, 13, 12, 11)))`;
}

/**
 * What the console's week counts (Store.countActivity) search a decision record's JSON text for, so
 * that SQLite and PostgreSQL need not parse a large record (facts, the trace) to count it. Records
 * are written by JSON.stringify, and an action's keys come in normalizeActions' order, `type` first,
 * so each needle appears exactly where it is meant:
 * - a send: an action `{"type":"assessment.send", …}` (facts and traces hold no such object);
 * - a completion: the decision's event `{"type":"assessmentCompleted", …}`;
 * - a tag added: an action `{"type":"lever.addTags","tags":["<tag>", …]}` whose first tag it is, as
 *   the shipped pack adds a status tag, alone; the facts' `statusTags` never match, they are keyed.
 */
export function activityNeedles(tags: readonly string[]): {
  send: string;
  completed: string;
  tags: string[];
} {
  return {
    send: '{"type":"assessment.send"',
    completed: '"event":{"type":"assessmentCompleted"',
    tags: tags.map((tag) => `{"type":"lever.addTags","tags":[${JSON.stringify(tag)}`),
  };
}

/** How long every backend keeps finished records unless configured otherwise. */
export const defaultRetention: Retention = {
  decisionsMs: 30 * 24 * 60 * 60 * 1000,
  dedupeMs: 72 * 60 * 60 * 1000,
};
