import type { Clock } from '../kernel/clock.js';

export interface TokenBucket {
  /** Resolves once the caller may send one request. */
  take(): Promise<void>;
}

export interface TokenBucketOptions {
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  /** Steady refill; Lever allows 10 requests/s per API key. */
  ratePerSecond?: number;
  /** Burst size; Lever allows bursts to 20 "when possible". */
  capacity?: number;
}

/**
 * A token bucket that hands out reservations: a caller that finds the bucket empty takes a token
 * on credit and sleeps until that token would have been refilled. Credit makes concurrent callers
 * queue in arrival order without a timer or a wait list, and keeps the bucket deterministic under
 * a manual clock.
 */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { clock, sleep, ratePerSecond = 10, capacity = 20 } = options;
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
  }
  if (!(capacity >= 1) || !Number.isFinite(capacity)) {
    throw new RangeError(`capacity must be at least 1, got ${capacity}`);
  }

  let tokens = capacity;
  let refilledAt = clock.now();

  return {
    take() {
      const now = clock.now();
      // A clock that steps back must not drain the bucket.
      const elapsedMs = Math.max(0, now - refilledAt);
      tokens = Math.min(capacity, tokens + (elapsedMs * ratePerSecond) / 1000);
      refilledAt = Math.max(refilledAt, now);
      tokens -= 1;
      if (tokens >= 0) return Promise.resolve();
      return sleep(Math.ceil((-tokens * 1000) / ratePerSecond));
    },
  };
}

export interface BucketRegistry {
  /**
   * The one bucket for this key: a hash of an API key, or an OAuth grant (tenant + grant id, so that
   * the hourly access token does not start a fresh budget). Lever limits per key, whoever sends.
   */
  bucketFor(key: string): TokenBucket;
}

/**
 * A bucket kept outside this process (PostgreSQL's `lever_rate_buckets`, see
 * src/store/postgres/shared-by-instances.ts): takes one token at `now` and says how long to wait.
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
