import { describe, expect, it } from 'vitest';
import { createSignInLimiter } from '../../../src/console/sign-in-limiter.js';
import { createManualClock } from '../../../src/kernel/clock.js';

const minute = 60_000;

describe('the console sign-in limiter', () => {
  it('refuses an address after 10 failures in 5 minutes, until the oldest leaves the window', () => {
    const clock = createManualClock(1_000_000);
    const limiter = createSignInLimiter({ clock });
    const used = [];
    for (let n = 0; n < 10; n++) {
      expect(limiter.waitFor('10.0.0.1')).toBe(0);
      used.push(limiter.failed('10.0.0.1'));
      clock.advance(10_000);
    }
    expect(used).toEqual([...Array(9).fill(false), true]);
    // Ten failures, 10 s apart, the first 100 s ago: it frees up 200 s from now.
    expect(limiter.waitFor('10.0.0.1')).toBe(5 * minute - 100_000);
    expect(limiter.waitFor('10.0.0.2')).toBe(0);
    clock.advance(5 * minute - 100_000 - 1);
    expect(limiter.waitFor('10.0.0.1')).toBe(1);
    clock.advance(1);
    // One failure has left the window: one more try, and a failed one refuses again at once.
    expect(limiter.waitFor('10.0.0.1')).toBe(0);
    expect(limiter.failed('10.0.0.1')).toBe(true);
    expect(limiter.waitFor('10.0.0.1')).toBe(10_000);
  });

  it('forgets an address’s failures when it signs in', () => {
    const clock = createManualClock(0);
    const limiter = createSignInLimiter({ clock, maxFailures: 3, windowMs: minute });
    limiter.failed('a');
    limiter.failed('a');
    limiter.succeeded('a');
    expect(limiter.failed('a')).toBe(false);
    expect(limiter.failed('a')).toBe(false);
    expect(limiter.failed('a')).toBe(true);
    expect(limiter.waitFor('a')).toBe(minute);
  });

  it('remembers a bounded number of addresses, forgetting the longest quiet first', () => {
    const clock = createManualClock(0);
    const limiter = createSignInLimiter({ clock, maxFailures: 1, maxAddresses: 2 });
    limiter.failed('a');
    limiter.failed('b');
    limiter.failed('a');
    limiter.failed('c');
    expect(['a', 'b', 'c'].map((address) => limiter.waitFor(address) > 0)).toEqual([true, false, true]);
  });
});
