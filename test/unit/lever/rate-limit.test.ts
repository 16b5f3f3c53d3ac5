import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/kernel/clock.js';
import { createBucketRegistry, createTokenBucket } from '../../../src/lever/rate-limit.js';

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

function setup(options: { ratePerSecond?: number; capacity?: number } = {}) {
  const clock = createManualClock(1_000_000);
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  return { clock, sleeps, bucket: createTokenBucket({ clock, sleep, ...options }) };
}

async function takeMany(bucket: { take(): Promise<void> }, count: number) {
  for (let i = 0; i < count; i++) await bucket.take();
}

describe('createTokenBucket', () => {
  it('lets a burst of 20 through without waiting, then waits 100 ms per token at 10/s', async () => {
    const { bucket, sleeps } = setup();
    await takeMany(bucket, 20);
    expect(sleeps).toEqual([]);
    await takeMany(bucket, 3);
    // Each waiter queues behind the one before it.
    expect(sleeps).toEqual([100, 200, 300]);
  });

  it('refills with time, up to the capacity and no further', async () => {
    const { bucket, sleeps, clock } = setup();
    await takeMany(bucket, 20);
    clock.advance(500);
    await takeMany(bucket, 5);
    expect(sleeps).toEqual([]);
    await bucket.take();
    expect(sleeps).toEqual([100]);

    clock.advance(60_000);
    await takeMany(bucket, 20);
    expect(sleeps).toEqual([100]);
    await bucket.take();
    expect(sleeps).toEqual([100, 100]);
  });

  it('honours a custom rate and capacity', async () => {
    const { bucket, sleeps } = setup({ ratePerSecond: 4, capacity: 1 });
    await takeMany(bucket, 3);
    expect(sleeps).toEqual([250, 500]);
  });

  it('does not drain when the clock steps back', async () => {
    const { bucket, sleeps, clock } = setup({ capacity: 2 });
    await bucket.take();
    clock.set(0);
    await bucket.take();
    expect(sleeps).toEqual([]);
  });

  it('waits for the sleep it asked for before resolving', async () => {
    const clock = createManualClock(0);
    let release: () => void = () => {};
    const sleep = () =>
      new Promise<void>((resolve) => {
        release = resolve;
      });
    const bucket = createTokenBucket({ clock, sleep, capacity: 1 });
    await bucket.take();
    let done = false;
    const waiting = bucket.take().then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await waiting;
    expect(done).toBe(true);
  });

  it('refuses a rate or capacity that cannot work', () => {
    const clock = createManualClock();
    const sleep = async () => {};
    expect(() => createTokenBucket({ clock, sleep, ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => createTokenBucket({ clock, sleep, capacity: 0 })).toThrow(RangeError);
    expect(() => createTokenBucket({ clock, sleep, ratePerSecond: Number.NaN })).toThrow(RangeError);
  });
});
