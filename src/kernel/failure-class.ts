import { type ErrorCode, StagegateError } from './errors.js';

/**
 * What a failed call to Lever or a vendor leaves behind, and so whether it may be tried again:
 *
 * - `retry-safe`: the answer says the request was not carried out (429, 503, no connection made),
 *   or the call may be repeated without harm (a GET, adding tags, moving a stage);
 * - `in-doubt`: the other side may have carried it out (500, 502, 504, a timeout, a connection
 *   broken after it was made, a 2xx answer that could not be read) and repeating it is not
 *   harmless (a vendor send_test, a Lever note): never repeated without a look first;
 * - `final`: any other 4xx, or an answer that cannot be used: trying again gives the same.
 *
 * Every place that decides whether to try again asks this module: the Lever and vendor transports,
 * the executor, the assessment send and the note that is added once.
 */
export const failureClasses = ['retry-safe', 'in-doubt', 'final'] as const;

export type FailureClass = (typeof failureClasses)[number];

/**
 * Why a call got no usable answer: `refused` (no connection was made: the other side has nothing),
 * `timeout` / `network` (connected, then no answer: it may have acted), `malformed` (it answered
 * 2xx with something that cannot be read: it acted, most likely).
 */
export type NoAnswerReason = 'refused' | 'timeout' | 'network' | 'malformed';

/** What is known about one failed call: the error code, the HTTP status if any, the reason if none. */
export interface FailureFacts {
  code: ErrorCode;
  status?: unknown;
  reason?: unknown;
}

export interface ClassifyOptions {
  /** Whether doing the call twice is harmless (GETs, tags, links, stage moves; not a send or a note). */
  idempotent: boolean;
}

/** Statuses that say the request was not carried out. */
const notCarriedOut: ReadonlySet<number> = new Set([429, 503]);

/** The class of what happened, from the facts alone. */
export function classifyFacts(facts: FailureFacts, options: ClassifyOptions): FailureClass {
  const mayHaveActed: FailureClass = options.idempotent ? 'retry-safe' : 'in-doubt';
  // Local conditions that pass on their own; nothing was sent.
  if (facts.code === 'TENANT_NOT_READY' || facts.code === 'STORE_FAILED') return 'retry-safe';
  const { status, reason } = facts;
  if (reason === 'refused') return 'retry-safe';
  if (reason === 'timeout' || reason === 'network') return mayHaveActed;
  if (reason === 'malformed') return options.idempotent ? 'final' : 'in-doubt';
  if (typeof status === 'number') {
    if (notCarriedOut.has(status)) return 'retry-safe';
    if (status >= 500) return mayHaveActed;
    return 'final';
  }
  // Lever unreachable without a reason given: connected or not is unknown.
  if (facts.code === 'LEVER_UNREACHABLE') return mayHaveActed;
  return 'final';
}

/**
 * The class of any error thrown by a call. One that carries `details.failureClass` was classified
 * where it was raised, by the code that knew whether the call may be repeated; a caller that knows
 * better (it looks before it repeats: `idempotent`) turns `in-doubt` into `retry-safe`. Anything
 * that is not a StagegateError is a bug, and final.
 */
export function classifyFailure(error: unknown, options: ClassifyOptions): FailureClass {
  if (!(error instanceof StagegateError)) return 'final';
  const given = readFailureClass(error.details.failureClass);
  if (given !== undefined) return given === 'in-doubt' && options.idempotent ? 'retry-safe' : given;
  return classifyFacts(
    { code: error.code, status: error.details.status, reason: error.details.reason },
    options,
  );
}

/** The same error, with this class in its details (the original kept as its cause). */
export function withFailureClass(error: StagegateError, failureClass: FailureClass): StagegateError {
  if (error.details.failureClass === failureClass) return error;
  return new StagegateError(error.code, error.message, {
    details: { ...error.details, failureClass },
    cause: error,
  });
}

export function readFailureClass(value: unknown): FailureClass | undefined {
  return failureClasses.find((known) => known === value);
}
