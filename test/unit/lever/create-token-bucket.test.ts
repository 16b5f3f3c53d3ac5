import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/kernel/clock.js';
import { createTokenBucket } from '../../../src/lever/create-token-bucket.js';

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
