import type { Clock } from '../kernel/clock.js';
import { createTokenBucket, type TokenBucket } from './create-token-bucket.js';

export interface BucketRegistry {
  /** The one bucket for this API key: Lever limits per key, whoever sends the request. */
  bucketFor(apiKey: string): TokenBucket;
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
    bucketFor(apiKey) {
      let bucket = buckets.get(apiKey);
      if (bucket === undefined) {
        bucket = createTokenBucket(options);
        buckets.set(apiKey, bucket);
      }
      return bucket;
    },
  };
}
