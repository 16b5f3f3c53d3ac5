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

/**
 * Reads a `Retry-After` header, in delta-seconds or as an HTTP date, as milliseconds from now.
 * Lever does not document the header, so anything unreadable counts as absent.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP date form starts with the weekday; this keeps Date.parse from reading "-1" as a date.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
