import type pg from 'pg';
import { storeFailed } from './create-batch-commit.js';

/** How a bucket refills: every instance on one credential must be given the same (STAGEGATE_LEVER_RATE). */
export interface RateRule {
  ratePerSecond: number;
  capacity: number;
}

/**
 * Lever's rate budget per credential, kept in the database so that every instance spends the same
 * one: Lever counts requests per API key (or OAuth grant), whichever instance sends them.
 */
export interface RateBudgets {
  /**
   * Takes one token from the key's bucket at `now` and resolves to how long the caller waits before
   * it sends (0: at once). `key` names the credential and is stored: never a secret itself.
   */
  reserve(key: string, now: number, rule: RateRule): Promise<number>;
}

/**
 * The token bucket of src/lever/rate-limit.ts as one row per key, refilled and taken from
 * in a single statement (the row lock of `ON CONFLICT DO UPDATE` orders concurrent takers), so three
 * instances on one key together get the bucket's rate, not three times it. A caller that finds the
 * bucket empty takes a token on credit (`tokens` goes negative) and waits until it would have been
 * refilled: callers queue in arrival order without a wait list or a second round trip.
 *
 * `now` is the calling instance's clock. `at` only moves forward, so an instance whose clock runs
 * behind refills nothing until the others' `at` is past; one that runs ahead gets at most its lead
 * times the rate once. Clocks kept by NTP differ by milliseconds: a fraction of one token.
 */
export function createRateBudgets(options: { pool: pg.Pool; database: string }): RateBudgets {
  const { pool, database } = options;
  return {
    async reserve(key, now, { ratePerSecond, capacity }) {
      const result = await pool
        .query<{ tokens: number }>(
          `INSERT INTO lever_rate_buckets AS b (key, tokens, at) VALUES ($1, $3::float8 - 1, $2::float8)
           ON CONFLICT (key) DO UPDATE SET
             tokens = least($3::float8, b.tokens + greatest(0, $2::float8 - b.at) * $4::float8 / 1000) - 1,
             at = greatest(b.at, $2::float8)
           RETURNING tokens`,
          [key, now, capacity, ratePerSecond],
        )
        .catch((error: unknown) => {
          throw storeFailed('Could not take a Lever rate token from PostgreSQL', error, database);
        });
      const tokens = result.rows[0]?.tokens ?? 0;
      return tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / ratePerSecond);
    },
  };
}
