export interface TimedRequest {
  method: string;
  url: string;
  /** The Authorization header's value; it goes nowhere else. */
  authorization: string;
  /** Sent as JSON when given. */
  body?: unknown;
}

/** The whole answer, or why there is none: no answer within the time (timeout), or a network error. */
export type TimedAnswer =
  | { kind: 'answered'; status: number; headers: Headers; text: string }
  | { kind: 'unreachable'; reason: 'timeout' | 'network'; why: string; cause: unknown };

/**
 * One JSON request to Lever or a vendor under one deadline that covers the body too: an answer
 * whose body never ends is a timeout as well. Never throws; the caller words the failure.
 */
export async function fetchWithTimeout(
  http: typeof fetch,
  request: TimedRequest,
  timeoutMs: number,
): Promise<TimedAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await http(request.url, {
      method: request.method,
      headers: {
        authorization: request.authorization,
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal,
    });
    // Read under the same signal.
    const text = await response.text();
    return { kind: 'answered', status: response.status, headers: response.headers, text };
  } catch (cause) {
    return {
      kind: 'unreachable',
      reason: signal.aborted ? 'timeout' : 'network',
      why: describe(cause),
      cause,
    };
  }
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // undici reports "fetch failed" and keeps the reason (ECONNREFUSED, socket closed) in the cause.
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${cause.message}${inner}`;
}
