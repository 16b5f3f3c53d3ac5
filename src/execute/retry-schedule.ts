import { StagegateError } from '../kernel/errors.js';

/**
 * The default wait before each retry of a failed action: quick at first, then hours; about 72 h in
 * all, after which the action is dead-lettered (failed) with its last error. Which failures are
 * retried at all is src/kernel/failure-class.ts's to say: the retry-safe ones.
 */
export const defaultRetrySchedule: readonly number[] = [
  30e3, 60e3, 120e3, 300e3, 600e3, 1_800e3, 3_600e3, 7_200e3, 14_400e3, 28_800e3, 43_200e3, 43_200e3,
  43_200e3, 43_200e3, 43_200e3,
].map((ms) => ms);

/** Parses `30s,1m,2h,1d` (the STAGEGATE_RETRY_SCHEDULE form) into milliseconds. */
export function parseRetrySchedule(text: string): number[] {
  const units: Record<string, number> = { s: 1e3, m: 60e3, h: 3_600e3, d: 86_400e3 };
  return text.split(',').map((part) => {
    const match = /^\s*(\d+)\s*([smhd])\s*$/.exec(part);
    if (!match)
      throw new StagegateError(
        'ENV_INVALID',
        `STAGEGATE_RETRY_SCHEDULE: '${part}' is not a duration like 30s, 5m, 2h or 1d`,
      );
    return Number(match[1]) * (units[match[2] ?? 's'] ?? 1e3);
  });
}

/** The wait before retry number `attempt` (1-based), with ±20 % jitter; undefined when retries ran out. */
export function nextRetryDelay(
  schedule: readonly number[],
  attempt: number,
  random: () => number,
): number | undefined {
  const base = schedule[attempt - 1];
  return base === undefined ? undefined : Math.round(base * (0.8 + 0.4 * random()));
}
