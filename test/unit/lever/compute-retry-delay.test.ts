import { describe, expect, it } from 'vitest';
import { computeRetryDelay } from '../../../src/lever/compute-retry-delay.js';

const schedule = { baseMs: 250, maxMs: 30_000 };

describe('computeRetryDelay', () => {
  it('doubles the ceiling with each retry and draws below it', () => {
    const half = () => 0.5;
    expect([1, 2, 3, 4, 5].map((n) => computeRetryDelay(n, schedule, half))).toEqual([
      125, 250, 500, 1000, 2000,
    ]);
  });

  it('spans the whole range from zero to just under the ceiling (full jitter)', () => {
    expect(computeRetryDelay(3, schedule, () => 0)).toBe(0);
    expect(computeRetryDelay(3, schedule, () => 0.999_999)).toBe(999);
  });

  it('never exceeds maxMs', () => {
    expect(computeRetryDelay(30, schedule, () => 0.999_999)).toBe(29_999);
    expect(computeRetryDelay(4, { baseMs: 1000, maxMs: 1500 }, () => 0.5)).toBe(750);
  });
});
