export interface TimedRequest {
  method: string;
  url: string;
  /** The Authorization header's value; it goes nowhere else. */
  authorization: string;
  /** Sent as JSON when given. */
  body?: unknown;
}

/**
 * The whole answer, or why there is none: no answer within the time (timeout), or a network error.
 * `neverConnected` says the connection was never established (refused, no such host, no route), so
 * the server certainly received nothing; a reset or a timeout after connecting leaves that open.
 */
export type TimedAnswer =
  | { kind: 'answered'; status: number; headers: Headers; text: string }
  | {
      kind: 'unreachable';
      reason: 'timeout' | 'network';
      neverConnected: boolean;
      why: string;
      cause: unknown;
    };

/** The system error codes of a connection that was never made. */
const neverConnectedCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

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
      // A redirect is an answer, not an instruction: following it would take the Authorization
      // header to a host the operator never allowed. A 3xx comes back as an error answer.
      redirect: 'manual',
    });
    // Read under the same signal.
    const text = await response.text();
    return { kind: 'answered', status: response.status, headers: response.headers, text };
  } catch (cause) {
    const codes = errorCodes(cause, 0);
    return {
      kind: 'unreachable',
      reason: signal.aborted ? 'timeout' : 'network',
      neverConnected:
        !signal.aborted && codes.length > 0 && codes.every((code) => neverConnectedCodes.has(code)),
      why: describe(cause),
      cause,
    };
  }
}

/**
 * Every `code` along the cause chain: undici throws "fetch failed" with the system error as its
 * cause, and trying several addresses of one host gives an AggregateError of them (`errors`).
 */
function errorCodes(error: unknown, depth: number): string[] {
  if (depth > 5 || typeof error !== 'object' || error === null) return [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  return [
    ...(typeof code === 'string' ? [code] : []),
    ...errorCodes(cause, depth + 1),
    ...(Array.isArray(errors) ? errors.flatMap((inner: unknown) => errorCodes(inner, depth + 1)) : []),
  ];
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // undici reports "fetch failed" and keeps the reason (ECONNREFUSED, socket closed) in the cause.
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${cause.message}${inner}`;
}
