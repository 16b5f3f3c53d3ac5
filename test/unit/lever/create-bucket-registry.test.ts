import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/kernel/clock.js';
import { createBucketRegistry } from '../../../src/lever/create-bucket-registry.js';

describe('createBucketRegistry', () => {
  it('hands out one bucket per API key, shared by every caller', async () => {
    const clock = createManualClock(0);
    const sleeps: number[] = [];
    const registry = createBucketRegistry({ clock, sleep: async (ms) => void sleeps.push(ms), capacity: 2 });

    expect(registry.bucketFor('key-a')).toBe(registry.bucketFor('key-a'));
    expect(registry.bucketFor('key-a')).not.toBe(registry.bucketFor('key-b'));

    // The intake and the executor spend the same budget.
    await registry.bucketFor('key-a').take();
    await registry.bucketFor('key-a').take();
    await registry.bucketFor('key-b').take();
    expect(sleeps).toEqual([]);
    await registry.bucketFor('key-a').take();
    expect(sleeps).toEqual([100]);
  });
});
