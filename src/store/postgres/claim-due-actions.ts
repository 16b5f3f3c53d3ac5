import type { ActionRecord } from '../types.js';
import type { Sql } from './postgres-context.js';

export interface ClaimOptions {
  /** This instance (one store). */
  owner: string;
  /** The store's clock, for the leases. */
  now: number;
  leaseMs: number;
}

const claimKey = "coalesce(a.opportunity_id, '#' || a.decision_id)";

// Due actions, oldest first, of opportunities no other instance holds a live claim on.
const candidates = `SELECT a.record, a.tenant, ${claimKey} AS key FROM actions a
  WHERE a.status = 'pending' AND a.next_attempt_at <= $1
    AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.tenant = a.tenant AND c.key = ${claimKey}
      AND c.owner <> $3 AND c.until > $4)
  ORDER BY a.created_at, a.idx, a.seq LIMIT $2`;

// Takes (or renews) the claims; of two instances asking at once, the second waits for the first's
// commit and then gets no row for what the first took.
const takeClaims = `INSERT INTO claims (tenant, key, owner, until)
  SELECT t.tenant, t.key, $3, $4 FROM unnest($1::text[], $2::text[]) AS t(tenant, key)
  ON CONFLICT (tenant, key) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until
    WHERE claims.owner = EXCLUDED.owner OR claims.until <= $5
  RETURNING tenant, key`;

/**
 * The due actions this instance may run: like `dueActions`, but only of opportunities it claims in
 * the same transaction. Its live claims are renewed (an action of theirs may still be running), and
 * those with nothing left to run are let go.
 */
export async function claimDueActions(
  sql: Sql,
  due: number,
  limit: number,
  options: ClaimOptions,
): Promise<ActionRecord[]> {
  const { owner, now, leaseMs } = options;
  await sql.run(
    `DELETE FROM claims c WHERE c.owner = $1 AND NOT EXISTS (SELECT 1 FROM actions a
       WHERE a.tenant = c.tenant AND ${claimKey} = c.key AND a.status IN ('pending', 'running'))`,
    [owner],
  );
  await sql.run('UPDATE claims SET until = $2 WHERE owner = $1 AND until > $3', [owner, now + leaseMs, now]);
  const rows = await sql.rows<{ record: ActionRecord; tenant: string; key: string }>(candidates, [
    due,
    limit,
    owner,
    now,
  ]);
  if (rows.length === 0) return [];
  // In one order on every instance: two of them taking overlapping claims do not deadlock.
  const wanted = [...new Map(rows.map((row) => [`${row.tenant}\0${row.key}`, row])).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row);
  const taken = await sql.rows<{ tenant: string; key: string }>(takeClaims, [
    wanted.map((row) => row.tenant),
    wanted.map((row) => row.key),
    owner,
    now + leaseMs,
    now,
  ]);
  const mine = new Set(taken.map((row) => `${row.tenant}\0${row.key}`));
  return rows.filter((row) => mine.has(`${row.tenant}\0${row.key}`)).map((row) => row.record);
}
