import type { Logger } from 'pino';
import { classifyFacts, type NoAnswerReason } from '../../kernel/failure-class.js';
import { fetchWithTimeout, type TimedAnswer } from '../../kernel/fetch-with-timeout.js';
import { basicAuthorization } from '../../kernel/http-auth.js';
import { parseJson } from '../../kernel/json.js';
import { createProviderError } from '../create-provider-error.js';
import { readVendorErrors } from './read-vendor-errors.js';

export interface PartnerRequest {
  method: 'GET' | 'POST';
  /** Relative to the base URL: `/list_tests`, `/send_test`, `/test_status`, `/response_error`. */
  path: string;
  query?: Readonly<Record<string, string>>;
  body?: unknown;
  /** Not idempotent (send_test): a failure after which the vendor may have acted is `in-doubt`. */
  once?: boolean;
}

export interface PartnerAnswer {
  status: number;
  /** Parsed JSON; undefined when the body is empty or not JSON. */
  body: unknown;
}

export interface PartnerTransportOptions {
  baseUrl: string;
  apiKey: string;
  http?: typeof fetch;
  /** Per request, reading the body included; default 10 s (STAGEGATE_HTTP_TIMEOUT_SECONDS). */
  timeoutMs?: number;
  log: Logger;
}

export type SendPartnerRequest = (request: PartnerRequest) => Promise<PartnerAnswer>;

/**
 * One attempt per call, under a timeout, with the key in the Authorization header only. A 2xx
 * answer is returned for the caller to validate; anything else is a PROVIDER_API error whose
 * `details.failureClass` (src/kernel/failure-class.ts) says whether trying again is safe (429, 503,
 * no connection made; and 5xx, timeouts and broken connections of a call that is not `once`), in
 * doubt (those for send_test: the vendor may have the invitation) or final (other 4xx). Without an
 * answer, `details.reason` says why: `refused`, `timeout` or `network`.
 */
export function createPartnerTransport(options: PartnerTransportOptions): SendPartnerRequest {
  const { log } = options;
  const http = options.http ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  // AbortSignal.timeout takes whole milliseconds only.
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive whole number, got ${timeoutMs}`);
  }
  if (options.apiKey === '') throw new RangeError('apiKey must not be empty');
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/i.test(baseUrl)) {
    throw new RangeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
  }
  const authorization = basicAuthorization(options.apiKey);

  return async function sendPartnerRequest(request: PartnerRequest): Promise<PartnerAnswer> {
    const { method, path } = request;
    const search = request.query === undefined ? '' : new URLSearchParams(request.query).toString();
    const url = `${baseUrl}${path}${search === '' ? '' : `?${search}`}`;
    const answer = await fetchWithTimeout(
      http,
      { method, url, authorization, body: request.body },
      timeoutMs,
    );
    const idempotent = request.once !== true;
    if (answer.kind === 'unreachable') {
      const error = unreachable(method, path, answer, timeoutMs, idempotent);
      log.warn(
        { method, path, reason: error.details.reason, failureClass: error.details.failureClass },
        'assessment vendor call failed',
      );
      throw error;
    }

    const { status, text } = answer;
    const body = parseJson(text);
    if (status >= 200 && status < 300) {
      log.debug({ method, path, status }, 'assessment vendor call');
      return { status, body };
    }
    const error = rejected(method, path, status, readVendorErrors(body, text), idempotent);
    log.warn(
      { method, path, status, failureClass: error.details.failureClass },
      'assessment vendor call failed',
    );
    throw error;
  };
}

function unreachable(
  method: string,
  path: string,
  answer: Extract<TimedAnswer, { kind: 'unreachable' }>,
  timeoutMs: number,
  idempotent: boolean,
) {
  const reason: NoAnswerReason =
    answer.reason === 'timeout' ? 'timeout' : answer.neverConnected ? 'refused' : 'network';
  const failureClass = classifyFacts({ code: 'PROVIDER_API', reason }, { idempotent });
  const message =
    reason === 'timeout'
      ? `The assessment vendor did not answer ${method} ${path} within ${timeoutMs} ms`
      : reason === 'refused'
        ? `Could not connect to the assessment vendor for ${method} ${path}: ${answer.why}`
        : `Could not reach the assessment vendor for ${method} ${path}: ${answer.why}`;
  return createProviderError(message, { status: null, failureClass, method, path, reason }, answer.cause);
}

function rejected(method: string, path: string, status: number, vendorErrors: string[], idempotent: boolean) {
  const failureClass = classifyFacts({ code: 'PROVIDER_API', status }, { idempotent });
  const said = vendorErrors.length > 0 ? vendorErrors.join('; ') : defaultText(status);
  const lead =
    status === 429
      ? 'the vendor is limiting requests'
      : status >= 500
        ? 'the vendor failed to handle the request'
        : 'the vendor rejected the request';
  return createProviderError(`Assessment vendor: ${lead}: ${said} (HTTP ${status} on ${method} ${path})`, {
    status,
    failureClass,
    ...(vendorErrors.length > 0 ? { vendorErrors } : {}),
    method,
    path,
  });
}

function defaultText(status: number): string {
  if (status === 401) return 'the API key was not accepted';
  if (status === 403) return 'the API key may not do this';
  if (status === 404) return 'not found';
  if (status === 429) return 'too many requests';
  return 'no reason given';
}
