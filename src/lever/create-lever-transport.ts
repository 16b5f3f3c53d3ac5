import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { type ErrorCode, StagegateError } from '../kernel/errors.js';
import { classifyFacts } from '../kernel/failure-class.js';
import { fetchWithTimeout } from '../kernel/fetch-with-timeout.js';
import { basicAuthorization } from '../kernel/http-auth.js';
import { isRecord, parseJson } from '../kernel/json.js';
import type { BucketRegistry } from './rate-limit.js';
import type { LeverEnvelope } from './types.js';

export interface LeverRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to the base URL, e.g. `/opportunities/abc`; ids already encoded. */
  path: string;
  /** A list is sent as the parameter repeated (`expand=a&expand=b`), the one form Lever documents. */
  query?: Readonly<LeverQuery>;
  body?: unknown;
  /**
   * Not idempotent (a note): sent again only after a retry-safe failure (429, 503, no connection
   * made; see src/kernel/failure-class.ts). After a timeout, a lost connection or another 5xx Lever
   * may have carried it out, so the error (failureClass `in-doubt`) goes to the caller, which can
   * look before it tries again.
   */
  once?: boolean;
}

export interface LeverRetryOptions {
  /** Tries in all, the first included. */
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
}

/** What one attempt sends: the Authorization header, and whose rate budget it spends. */
export interface LeverCredential {
  authorization: string;
  /**
   * Whose budget: a hash of the API key (the key itself never leaves the header: the shared bucket
   * stores this in the database), or the OAuth grant (tenant + grant id), never the access token of the hour.
   */
  bucketKey: string;
}

/**
 * How a tenant's calls authenticate: Basic with the API key, or Bearer with an OAuth access token
 * (src/lever/oauth/create-oauth-grants.ts), refreshed before it expires.
 */
export interface LeverAuth {
  credential(): Promise<LeverCredential>;
  /**
   * After a 401 to `refused`: a new access token, from the one refresh shared by every caller and
   * instance (none when another already replaced `refused`). True when there is one to try once
   * more with. Throws when the refresh fails (invalid_grant: the grant is refused).
   */
  renew?(refused: LeverCredential): Promise<boolean>;
}

/** Basic auth with the API key as user name and an empty password. */
export function apiKeyAuth(apiKey: string): LeverAuth {
  const credential = {
    authorization: basicAuthorization(apiKey),
    bucketKey: apiKeyBucket(apiKey),
  };
  return { credential: async () => credential };
}

/**
 * The rate budget's name for an API key: SHA-256, so tenants that share a key share its budget while
 * the key itself is never stored. Lever's keys are long random strings, which a hash does not give back.
 */
export function apiKeyBucket(apiKey: string): string {
  return `key:${createHash('sha256').update(apiKey, 'utf8').digest('hex')}`;
}

export interface LeverTransportOptions {
  /** `https://api.lever.co/v1` or the sandbox. */
  baseUrl: string;
  /** The tenant's API key (Basic auth); or `auth`. */
  apiKey?: string;
  /** How calls authenticate; takes the place of `apiKey`. */
  auth?: LeverAuth;
  http?: typeof fetch;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  buckets: BucketRegistry;
  log: Logger;
  /** Per attempt, reading the body included; default 10 s (STAGEGATE_HTTP_TIMEOUT_SECONDS). */
  timeoutMs?: number;
  retry?: LeverRetryOptions;
  random?: () => number;
  /**
   * Told how each call ended (null: answered 2xx), after its retries: every call goes through here,
   * paged lists included, so whoever watches the credential sees them all.
   */
  onOutcome?: (error: unknown) => void;
}

export type LeverQuery = Record<string, string | readonly string[]>;

export type SendLeverRequest = <T>(request: LeverRequest) => Promise<LeverEnvelope<T>>;

type AttemptOutcome =
  | { kind: 'answered'; status: number; envelope: LeverEnvelope<unknown> }
  | {
      kind: 'failed';
      /** What the attempt authenticated with, for renew() after a 401. */
      credential?: LeverCredential;
      code: ErrorCode;
      message: string;
      details: Record<string, unknown>;
      retryAfterMs?: number;
      cause?: unknown;
    };

/**
 * The one door to Lever: every call takes a token from the API key's bucket, carries a timeout,
 * and is retried with exponential backoff and full jitter while its failure is retry-safe (429,
 * 503, no connection; and for a call that is not `once`, other 5xx, timeouts and broken
 * connections too). Other 4xx answers are final. Every error carries `details.failureClass`. The
 * API key goes into the Authorization header only, never into a log line or an error.
 */
export function createLeverTransport(options: LeverTransportOptions): SendLeverRequest {
  const { clock, sleep, log } = options;
  const http = options.http ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const attempts = options.retry?.attempts ?? 5;
  const schedule = { baseMs: options.retry?.baseMs ?? 250, maxMs: options.retry?.maxMs ?? 30_000 };
  const random = options.random ?? Math.random;
  // AbortSignal.timeout takes whole milliseconds only.
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive whole number, got ${timeoutMs}`);
  }
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`retry.attempts must be an integer of at least 1, got ${attempts}`);
  }
  const given = options.auth ?? (options.apiKey === undefined ? undefined : apiKeyAuth(options.apiKey));
  if (given === undefined) throw new RangeError('the Lever transport needs apiKey or auth');
  const auth: LeverAuth = given;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  async function attempt(request: LeverRequest, url: string): Promise<AttemptOutcome> {
    const { method, path } = request;
    const credential = await auth.credential();
    const { authorization, bucketKey } = credential;
    await options.buckets.bucketFor(bucketKey).take();
    const answer = await fetchWithTimeout(
      http,
      { method, url, authorization, body: request.body },
      timeoutMs,
    );
    if (answer.kind === 'unreachable') {
      const { cause } = answer;
      const reason = answer.neverConnected ? 'refused' : answer.reason;
      return {
        kind: 'failed',
        code: 'LEVER_UNREACHABLE',
        message:
          reason === 'timeout'
            ? `Lever did not answer ${method} ${path} within ${timeoutMs} ms`
            : `Could not reach Lever for ${method} ${path}: ${answer.why}`,
        details: { method, path, reason },
        cause,
      };
    }

    const { status, text } = answer;
    const parsed = parseJson(text);
    if (status >= 200 && status < 300) {
      // A delete answers 204, no body.
      if (status === 204 && text === '') return { kind: 'answered', status, envelope: { data: null } };
      if (isEnvelope(parsed)) return { kind: 'answered', status, envelope: parsed };
      return {
        kind: 'failed',
        code: 'LEVER_API',
        message: `Lever answered ${status} to ${method} ${path} without a {data} envelope`,
        details: { status, method, path, reason: 'malformed' },
      };
    }

    const leverCode = isRecord(parsed) && typeof parsed.code === 'string' ? parsed.code : undefined;
    const leverMessage =
      isRecord(parsed) && typeof parsed.message === 'string' ? parsed.message : text.slice(0, 200);
    const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'), clock.now());
    return {
      kind: 'failed',
      credential,
      code: 'LEVER_API',
      message: `Lever answered ${status}${leverCode === undefined ? '' : ` ${leverCode}`} to ${method} ${path}: ${leverMessage}`,
      details: { status, leverCode, leverMessage, method, path },
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }

  const send: SendLeverRequest = async function sendLeverRequest<T>(
    request: LeverRequest,
  ): Promise<LeverEnvelope<T>> {
    const { method, path } = request;
    const search = request.query === undefined ? '' : encodeQuery(request.query);
    const url = `${baseUrl}${path}${search === '' ? '' : `?${search}`}`;

    let renewed = false;
    for (let tried = 1; ; tried++) {
      const startedAt = clock.now();
      const outcome = await attempt(request, url);
      // An access token Lever no longer takes: one new one, one more try, not counted as a retry.
      // Only a 401 to that try too (or the refresh's invalid_grant) says Lever refuses the grant.
      if (
        outcome.kind === 'failed' &&
        outcome.details.status === 401 &&
        outcome.credential !== undefined &&
        auth.renew &&
        !renewed
      ) {
        renewed = true;
        if (await auth.renew(outcome.credential)) {
          tried -= 1;
          continue;
        }
      }
      if (outcome.kind === 'answered') {
        log.debug(
          { method, path, status: outcome.status, attempt: tried, ms: clock.now() - startedAt },
          'lever call',
        );
        return outcome.envelope as LeverEnvelope<T>;
      }

      const failureClass = classifyFacts(
        { code: outcome.code, status: outcome.details.status, reason: outcome.details.reason },
        { idempotent: request.once !== true },
      );
      const fail = (extra: Record<string, unknown> = {}) =>
        new StagegateError(outcome.code, outcome.message, {
          details: { ...outcome.details, failureClass, attempts: tried, ...extra },
          ...(outcome.cause === undefined ? {} : { cause: outcome.cause }),
        });
      if (failureClass !== 'retry-safe' || tried >= attempts) throw fail();

      let delayMs = computeRetryDelay(tried, schedule, random);
      if (outcome.retryAfterMs !== undefined) {
        // Retrying before the time Lever asked for would only spend another token on another 429;
        // a wait longer than the whole schedule allows is the caller's to make (the outbox).
        if (outcome.retryAfterMs > schedule.maxMs) throw fail({ retryAfterMs: outcome.retryAfterMs });
        delayMs = Math.max(delayMs, outcome.retryAfterMs);
      }
      log.warn({ ...outcome.details, attempt: tried, delayMs }, 'lever call failed; retrying');
      await sleep(delayMs);
    }
  };
  const report = options.onOutcome;
  if (report === undefined) return send;
  return async function reportedLeverRequest<T>(request: LeverRequest): Promise<LeverEnvelope<T>> {
    try {
      const envelope = await send<T>(request);
      report(null);
      return envelope;
    } catch (error) {
      report(error);
      throw error;
    }
  };
}

function encodeQuery(query: Readonly<LeverQuery>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const one of typeof value === 'string' ? [value] : value) params.append(name, one);
  }
  return params.toString();
}

function isEnvelope(value: unknown): value is LeverEnvelope<unknown> {
  return isRecord(value) && 'data' in value;
}

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
