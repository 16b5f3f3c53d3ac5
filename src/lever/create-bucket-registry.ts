import type { Clock } from '../kernel/clock.js';
import { createTokenBucket, type TokenBucket } from './create-token-bucket.js';

export interface BucketRegistry {
  /**
   * The one bucket for this key: a hash of an API key, or an OAuth grant (tenant + grant id, so that
   * the hourly access token does not start a fresh budget). Lever limits per key, whoever sends.
   */
  bucketFor(key: string): TokenBucket;
}

/**
 * A bucket kept outside this process (PostgreSQL's `lever_rate_buckets`, see
 * src/store/postgres/create-rate-budgets.ts): takes one token at `now` and says how long to wait.
 */
export interface SharedRateBudgets {
  reserve(key: string, now: number, rule: { ratePerSecond: number; capacity: number }): Promise<number>;
}

export interface BucketRegistryOptions {
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  ratePerSecond?: number;
  capacity?: number;
  /**
   * Several instances on one database: every take is a reservation in the shared bucket, so they
   * spend one budget per key together. Without it, one bucket per key in this process.
   */
  shared?: SharedRateBudgets | null;
}

/** Lets the intake and the executor (and, given `shared`, every instance) share one rate budget per Lever key. */
export function createBucketRegistry(options: BucketRegistryOptions): BucketRegistry {
  const { shared, clock, sleep, ratePerSecond = 10, capacity = 20 } = options;
  if (shared) {
    // The same checks as the local bucket's: a bad rate must not reach the database either.
    createTokenBucket({ clock, sleep, ratePerSecond, capacity });
    const rule = { ratePerSecond, capacity };
    return {
      bucketFor: (key) => ({
        async take() {
          const waitMs = await shared.reserve(key, clock.now(), rule);
          if (waitMs > 0) await sleep(waitMs);
        },
      }),
    };
  }
  const buckets = new Map<string, TokenBucket>();
  return {
    bucketFor(key) {
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = createTokenBucket(options);
        buckets.set(key, bucket);
      }
      return bucket;
    },
  };
}
