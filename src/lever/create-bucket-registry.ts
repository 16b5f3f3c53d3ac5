import type { Clock } from '../kernel/clock.js';
import { createTokenBucket, type TokenBucket } from './create-token-bucket.js';

export interface BucketRegistry {
  /**
   * The one bucket for this key: an API key, or an OAuth grant (tenant + grant id, so that the
   * hourly access token does not start a fresh budget). Lever limits per key, whoever sends.
   */
  bucketFor(key: string): TokenBucket;
}

export interface BucketRegistryOptions {
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  ratePerSecond?: number;
  capacity?: number;
}

/** Lets the intake and the executor share one rate budget per Lever API key. */
export function createBucketRegistry(options: BucketRegistryOptions): BucketRegistry {
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
