import type { InboxItem } from '../types.js';
import {
  type ClaimOptions,
  inboxClaimPrefix,
  inboxClaimPrefixText,
  renewClaims,
  takeKeys,
  tryClaimLock,
} from './claim-due-actions.js';
import type { Sql } from './postgres-context.js';

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
