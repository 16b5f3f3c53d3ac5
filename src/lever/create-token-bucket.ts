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
