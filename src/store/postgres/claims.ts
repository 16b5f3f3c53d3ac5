// Work claimed per opportunity across instances, in the `claims` table with leases: due actions
// (claimDueActions, reclaimAbandonedActions) and inbox items (claimInbox), apart by a key prefix.
import type { ActionRecord, InboxItem } from '../types.js';
import { findRecord, replaceRecord, type Sql } from './postgres-context.js';

export interface ClaimOptions {
  /** This instance (one store; a restart is a new one). */
  owner: string;
  /** The store's clock, for the leases. */
  now: number;
  leaseMs: number;
}

const claimKey = "coalesce(a.opportunity_id, '#' || a.decision_id)";
/** Inbox claims share the table; their keys start with this (claimInbox, below). */
const inboxClaimPrefix = "'inbox' || chr(31)";
const inboxClaimPrefixText = 'inbox\u001f';

// Due actions, oldest first, of opportunities no other instance holds a live claim on.
const candidates = `SELECT a.record, a.tenant, ${claimKey} AS key FROM actions a
  WHERE a.status = 'pending' AND a.next_attempt_at <= $1
    AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.tenant = a.tenant AND c.key = ${claimKey}
      AND c.owner <> $3 AND c.until > $4)
  ORDER BY a.created_at, a.idx, a.seq LIMIT $2`;

// Actions left running under another instance's claim that ran out (it died, or lost the database
// for a lease), or at start also under none (left by a cluster that was all down): never ours,
// whatever the lease says, since this instance may be running them.
const abandoned = (orphansToo: boolean) => `SELECT a.id, a.tenant, ${claimKey} AS key FROM actions a
  WHERE a.status = 'running'
    AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.tenant = a.tenant AND c.key = ${claimKey}
      AND (c.until > $2 OR c.owner = $1))
    ${orphansToo ? '' : `AND EXISTS (SELECT 1 FROM claims c WHERE c.tenant = a.tenant AND c.key = ${claimKey})`}
  ORDER BY a.created_at, a.idx, a.seq`;

/** The SQL that takes a claim key's advisory lock until the transaction ends, if no one has it. */
function tryClaimLock(tenant: string, key: string): string {
  return `pg_try_advisory_xact_lock(hashtext('stagegate.claim' || chr(31) || current_schema() || chr(31) || ${tenant} || chr(31) || ${key}))`;
}

// Takes (or renews) the claims. A key another transaction is taking at this moment (it holds the
// key's advisory lock until it commits) is skipped, never waited for: claims are taken inside the
// store's batch transactions, which hold other locks too, so waiting could close a cycle. Of two
// instances asking one after the other, the second finds the first's claim live and gets no row.
const takeClaims = `INSERT INTO claims (tenant, key, owner, until)
  SELECT t.tenant, t.key, $3, $4 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(tenant, key, n)
  WHERE ${tryClaimLock('t.tenant', 't.key')}
  ORDER BY t.n
  ON CONFLICT (tenant, key) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until
    WHERE claims.owner = EXCLUDED.owner OR claims.until <= $5
  RETURNING tenant, key`;

/**
 * Renews this instance's live claims. Renewing and letting go touch only this instance's live
 * claims, which no other instance tries to take, and skip a locked row all the same: the next call
 * renews it, well within the lease.
 */
async function renewClaims(sql: Sql, options: ClaimOptions): Promise<void> {
  const { owner, now, leaseMs } = options;
  await sql.run(
    `UPDATE claims SET until = $2 WHERE (tenant, key) IN (SELECT tenant, key FROM claims
       WHERE owner = $1 AND until > $3 FOR UPDATE SKIP LOCKED)`,
    [owner, now + leaseMs, now],
  );
}

/** Takes the claims it can of these (tenant, key) pairs; returns those taken, as `tenant\0key`. */
async function takeKeys(
  sql: Sql,
  keys: readonly { tenant: string; key: string }[],
  options: ClaimOptions,
): Promise<Set<string>> {
  const { owner, now, leaseMs } = options;
  // In one order on every instance: two of them taking overlapping claims do not deadlock.
  const wanted = [...new Map(keys.map((row) => [`${row.tenant}\0${row.key}`, row])).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row);
  if (wanted.length === 0) return new Set();
  const taken = await sql.rows<{ tenant: string; key: string }>(takeClaims, [
    wanted.map((row) => row.tenant),
    wanted.map((row) => row.key),
    owner,
    now + leaseMs,
    now,
  ]);
  return new Set(taken.map((row) => `${row.tenant}\0${row.key}`));
}

/**
 * Takes back the actions an instance left running when its claim ran out: this instance claims
 * their opportunities (one instance wins each) and puts them back to pending, due now, as recovery
 * after a crash does on one machine. A send among them is then not sent again blindly: its
 * invitation is still `sending`, so it fails in doubt (send-assessment.ts), on whichever instance.
 */
export async function reclaimAbandonedActions(
  sql: Sql,
  options: ClaimOptions & { orphansToo: boolean },
): Promise<ActionRecord[]> {
  const { owner, now } = options;
  const rows = await sql.rows<{ id: string; tenant: string; key: string }>(abandoned(options.orphansToo), [
    owner,
    now,
  ]);
  if (rows.length === 0) return [];
  const mine = await takeKeys(sql, rows, options);
  const recovered: ActionRecord[] = [];
  for (const row of rows) {
    if (!mine.has(`${row.tenant}\0${row.key}`)) continue;
    const action = await findRecord<ActionRecord>(sql, 'actions', row.id, 'action');
    if (action.status !== 'running') continue;
    Object.assign(action, { status: 'pending', nextAttemptAt: now, updatedAt: now });
    await replaceRecord(sql, 'actions', action);
    recovered.push(action);
  }
  return recovered;
}

/**
 * The due actions this instance may run: like `dueActions`, but only of opportunities it claims in
 * the same transaction. Its live claims are renewed (an action of theirs may still be running), and
 * those with nothing left to run are let go; actions a dead instance left running are taken back.
 */
export async function claimDueActions(
  sql: Sql,
  due: number,
  limit: number,
  options: ClaimOptions,
): Promise<ActionRecord[]> {
  const { owner, now } = options;
  await sql.run(
    `DELETE FROM claims WHERE (tenant, key) IN (SELECT c.tenant, c.key FROM claims c
       WHERE c.owner = $1 AND c.until > $2 AND left(c.key, 6) <> ${inboxClaimPrefix}
         AND NOT EXISTS (SELECT 1 FROM actions a
           WHERE a.tenant = c.tenant AND ${claimKey} = c.key AND a.status IN ('pending', 'running'))
       FOR UPDATE SKIP LOCKED)`,
    [owner, now],
  );
  await renewClaims(sql, options);
  await reclaimAbandonedActions(sql, { ...options, orphansToo: false });
  const rows = await sql.rows<{ record: ActionRecord; tenant: string; key: string }>(candidates, [
    due,
    limit,
    owner,
    now,
  ]);
  if (rows.length === 0) return [];
  const mine = await takeKeys(sql, rows, options);
  return rows.filter((row) => mine.has(`${row.tenant}\0${row.key}`)).map((row) => row.record);
}

// In the claims table beside the actions' claims, apart by the prefix: deciding an opportunity's
// deliveries and running its actions are two jobs, as they are in one process.
const inboxKey = `${inboxClaimPrefix} || coalesce(i.opportunity_id, '#' || i.id)`;

// The oldest pending item of each opportunity no other instance holds a live claim on, oldest first.
const firsts = `SELECT f.record, f.tenant, f.key FROM (
    SELECT DISTINCT ON (i.tenant, ${inboxKey}) i.record, i.tenant, ${inboxKey} AS key, i.seq
    FROM inbox i WHERE i.status = 'pending'
    ORDER BY i.tenant, ${inboxKey}, i.seq) f
  WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.tenant = f.tenant AND c.key = f.key
    AND c.owner <> $2 AND c.until > $3)
  ORDER BY f.seq LIMIT $1`;

type Of = Pick<InboxItem, 'tenant' | 'opportunityId' | 'id'>;

/**
 * The inbox items this instance may decide (Store.claimInbox): each with a claim on its
 * opportunity, taken in the same transaction. Without `of`, it also renews this instance's live
 * claims, lets go of those with nothing pending, and deletes claims that ran out an hour ago (one
 * that ran out already counts as none everywhere; the rows would only pile up).
 */
export async function claimInbox(
  sql: Sql,
  limit: number,
  of: Of | undefined,
  options: ClaimOptions,
): Promise<InboxItem[]> {
  const { owner, now } = options;
  if (of !== undefined) return claimOne(sql, of, options);
  // Claims that ran out an hour ago: of instances gone, on work since done. Never waited for.
  await sql.run(
    `DELETE FROM claims WHERE (tenant, key) IN (SELECT tenant, key FROM claims
       WHERE until <= $1 AND ${tryClaimLock('tenant', 'key')} FOR UPDATE SKIP LOCKED)`,
    [now - 3_600_000],
  );
  await sql.run(
    `DELETE FROM claims WHERE (tenant, key) IN (SELECT c.tenant, c.key FROM claims c
       WHERE c.owner = $1 AND c.until > $2 AND left(c.key, 6) = ${inboxClaimPrefix}
         AND NOT EXISTS (SELECT 1 FROM inbox i
           WHERE i.status = 'pending' AND i.tenant = c.tenant AND ${inboxKey} = c.key)
       FOR UPDATE SKIP LOCKED)`,
    [owner, now],
  );
  await renewClaims(sql, options);
  const rows = await sql.rows<{ record: InboxItem; tenant: string; key: string }>(firsts, [
    Math.max(0, Math.floor(limit)),
    owner,
    now,
  ]);
  const mine = await takeKeys(sql, rows, options);
  return rows.filter((row) => mine.has(`${row.tenant}\0${row.key}`)).map((row) => row.record);
}

/** The oldest pending item of `of`'s opportunity, claimed; none pending lets this instance's claim go. */
async function claimOne(sql: Sql, of: Of, options: ClaimOptions): Promise<InboxItem[]> {
  const key = `${inboxClaimPrefixText}${of.opportunityId ?? `#${of.id}`}`;
  const [row] = await sql.rows<{ record: InboxItem }>(
    of.opportunityId === null
      ? "SELECT record FROM inbox WHERE status = 'pending' AND tenant = $1 AND opportunity_id IS NULL AND id = $2 ORDER BY seq LIMIT 1"
      : "SELECT record FROM inbox WHERE status = 'pending' AND tenant = $1 AND opportunity_id = $2 ORDER BY seq LIMIT 1",
    [of.tenant, of.opportunityId ?? of.id],
  );
  const [claim] = await sql.rows<{ owner: string; until: number }>(
    'SELECT owner, until FROM claims WHERE tenant = $1 AND key = $2',
    [of.tenant, key],
  );
  const live = claim !== undefined && claim.until > options.now;
  if (row === undefined) {
    if (live && claim.owner === options.owner) {
      await sql.run(
        `DELETE FROM claims WHERE (tenant, key) IN (SELECT tenant, key FROM claims
           WHERE tenant = $1 AND key = $2 AND owner = $3 FOR UPDATE SKIP LOCKED)`,
        [of.tenant, key, options.owner],
      );
    }
    return [];
  }
  // Another instance's live claim is not asked for: it is that instance's to renew.
  if (live && claim.owner !== options.owner) return [];
  const mine = await takeKeys(sql, [{ tenant: of.tenant, key }], options);
  return mine.size > 0 ? [row.record] : [];
}
