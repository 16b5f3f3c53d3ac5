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

describe('createBucketRegistry with shared budgets', () => {
  it('asks the shared budget for every take, with the key, the time and the rule, and waits what it says', async () => {
    const clock = createManualClock(5_000);
    const sleeps: number[] = [];
    const asked: unknown[] = [];
    const waits = [0, 250];
    const registry = createBucketRegistry({
      clock,
      sleep: async (ms) => void sleeps.push(ms),
      ratePerSecond: 4,
      capacity: 2,
      shared: {
        async reserve(key, now, rule) {
          asked.push({ key, now, rule });
          return waits.shift() ?? 0;
        },
      },
    });
    await registry.bucketFor('key:abc').take();
    clock.advance(10);
    await registry.bucketFor('key:abc').take();
    expect(asked).toEqual([
      { key: 'key:abc', now: 5_000, rule: { ratePerSecond: 4, capacity: 2 } },
      { key: 'key:abc', now: 5_010, rule: { ratePerSecond: 4, capacity: 2 } },
    ]);
    expect(sleeps).toEqual([250]);
  });

  it('refuses a rate the local bucket would refuse, before anything reaches the database', () => {
    const shared = { reserve: async () => 0 };
    const clock = createManualClock(0);
    const sleep = async () => {};
    expect(() => createBucketRegistry({ clock, sleep, ratePerSecond: 0, shared })).toThrow(RangeError);
    expect(() => createBucketRegistry({ clock, sleep, capacity: 0.5, shared })).toThrow(RangeError);
  });
});
