export interface BackoffSchedule {
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with full jitter: a delay drawn uniformly from [0, min(maxMs, baseMs * 2^(n-1)))
 * before retry n (1-based). The jitter spreads the retries of tenants that failed together.
 */
export function computeRetryDelay(retry: number, schedule: BackoffSchedule, random: () => number): number {
  const ceiling = Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
