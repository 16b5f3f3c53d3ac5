import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../src/lever/parse-retry-after.js';

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
