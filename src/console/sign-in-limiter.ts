import type { Clock } from '../kernel/clock.js';

/**
 * Failed console sign-ins per client address, in memory: after `maxFailures` within `windowMs` the
 * address is refused (with how long to wait) until the oldest of them is out of the window. A
 * sign-in that succeeds forgets the address's failures. Per process: behind several instances an
 * address gets `maxFailures` at each, which still turns guessing a 32-character token into nothing.
 */
export interface SignInLimiter {
  /** Milliseconds the address must wait before it may try again; 0 when it may try now. */
  waitFor(address: string): number;
  /** A failed attempt; returns true when this one used up the address's allowance. */
  failed(address: string): boolean;
  succeeded(address: string): void;
}

export function createSignInLimiter(options: {
  clock: Clock;
  maxFailures?: number;
  windowMs?: number;
  /** Addresses remembered at most; the oldest are forgotten first (a flood of addresses costs bounded memory). */
  maxAddresses?: number;
}): SignInLimiter {
  const { clock } = options;
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 5 * 60_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  // Insertion order is the order addresses last failed in (each failure re-inserts its address).
  const failures = new Map<string, number[]>();

  const recent = (address: string, now: number): number[] => {
    const times = (failures.get(address) ?? []).filter((at) => now - at < windowMs);
    if (times.length === 0) failures.delete(address);
    return times;
  };

  return {
    waitFor(address) {
      const now = clock.now();
      const times = recent(address, now);
      if (times.length < maxFailures) return 0;
      // The failure that makes room when it leaves the window.
      const freeing = times[times.length - maxFailures] ?? now;
      return Math.max(0, freeing + windowMs - now);
    },
    failed(address) {
      const now = clock.now();
      const times = [...recent(address, now), now].slice(-maxFailures);
      failures.delete(address);
      failures.set(address, times);
      for (const oldest of failures.keys()) {
        if (failures.size <= maxAddresses) break;
        failures.delete(oldest);
      }
      return times.length >= maxFailures;
    },
    succeeded(address) {
      failures.delete(address);
    },
  };
}
