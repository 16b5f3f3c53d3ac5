/**
 * The one error catalog. Every error stagegate raises or answers with carries one of these codes;
 * the table of error codes in docs/error-codes.md is checked against this object by a test.
 */
export const errorCatalog = {
  CONFIG_INVALID: {
    status: 500,
    summary: 'A tenant or rule-pack file has problems; each is listed as file:line:col.',
  },
  SECRET_MISSING: {
    status: 503,
    summary: 'A secret the tenant references (env or file) is not set; the tenant is not ready.',
  },
  ENV_INVALID: {
    status: 500,
    summary: 'An environment variable has a value stagegate cannot use; the message names it.',
  },
  TENANT_UNKNOWN: { status: 404, summary: 'No tenant with that id is loaded.' },
  STAGE_UNKNOWN: {
    status: 400,
    summary: "The stage named is not one of the tenant's trigger stages; the message lists them.",
  },
  TENANT_NOT_READY: {
    status: 503,
    summary: 'The tenant has no valid configuration or a missing secret; Lever will retry.',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The request body is not application/json.' },
  BAD_JSON: { status: 400, summary: 'The request body is not valid JSON or lacks required fields.' },
  PAYLOAD_TOO_LARGE: { status: 413, summary: 'The request body is over the size limit (64 KB).' },
  UNAUTHORIZED: {
    status: 401,
    summary: 'Signature, token or timestamp did not check out. The answer says no more.',
  },
  NOT_FOUND: { status: 404, summary: 'No such route or record.' },
  CONFLICT: {
    status: 409,
    summary: "The record's state does not allow this (an action that has not failed, a send in doubt).",
  },
  LEVER_API: { status: 502, summary: "Lever answered with an error; Lever's {code, message} is kept." },
  LEVER_UNREACHABLE: { status: 502, summary: 'Lever did not answer in time, or the connection failed.' },
  PROVIDER_API: { status: 502, summary: 'The assessment vendor answered with an error.' },
  STORE_FAILED: { status: 500, summary: 'The embedded store could not be read or written.' },
  INTERNAL: { status: 500, summary: 'An unexpected error; the cause is kept in the log.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export class StagegateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StagegateError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = options.details ?? {};
  }
}

/** Wraps anything thrown into a StagegateError, keeping the original as the cause. */
export function toStagegateError(error: unknown): StagegateError {
  if (error instanceof StagegateError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StagegateError('INTERNAL', message, { cause: error });
}
