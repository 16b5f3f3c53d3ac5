import { describe, expect, it } from 'vitest';
import { computeRetryDelay, parseRetryAfter } from '../../../src/lever/create-lever-transport.js';

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

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(parseRetryAfter(new Date(NOW + 3000).toUTCString(), NOW)).toBe(3000);
    expect(parseRetryAfter('Wednesday, 15-Jan-25 12:00:05 GMT', NOW)).toBe(5000);
  });

  it('counts a date in the past as no wait', () => {
    expect(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
  });

  it('treats a missing or unreadable header as absent', () => {
    for (const value of [null, undefined, '', '-1', '1.5', 'soon', '2025-01-15']) {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    }
  });
});
