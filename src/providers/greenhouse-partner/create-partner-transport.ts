import type { Logger } from 'pino';
import { StagegateError } from '../../kernel/errors.js';
import { fetchWithTimeout, type TimedAnswer } from '../../kernel/fetch-with-timeout.js';
import { createProviderError } from '../create-provider-error.js';
import { readVendorErrors } from './read-vendor-errors.js';

export interface PartnerRequest {
  method: 'GET' | 'POST';
  /** Relative to the base URL: `/list_tests`, `/send_test`, `/test_status`, `/response_error`. */
  path: string;
  query?: Readonly<Record<string, string>>;
  body?: unknown;
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
 * answer is returned for the caller to validate; anything else is a PROVIDER_API error that says
 * whether trying again later can help (429, 5xx, timeouts, network) or not (other 4xx). Without an
 * answer, `details.reason` tells whether the vendor may have the request: `refused` (no connection
 * was made: it has nothing) or `timeout` / `network` (it may have it).
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
  const authorization = `Basic ${Buffer.from(`${options.apiKey}:`, 'utf8').toString('base64')}`;

  return async function sendPartnerRequest(request: PartnerRequest): Promise<PartnerAnswer> {
    const { method, path } = request;
    const search = request.query === undefined ? '' : new URLSearchParams(request.query).toString();
    const url = `${baseUrl}${path}${search === '' ? '' : `?${search}`}`;
    const answer = await fetchWithTimeout(
      http,
      { method, url, authorization, body: request.body },
      timeoutMs,
    );
    if (answer.kind === 'unreachable') {
      const error = unreachable(method, path, answer, timeoutMs);
      log.warn({ method, path, reason: error.details.reason }, 'assessment vendor call failed');
      throw error;
    }

    const { status, text } = answer;
    const body = parseJson(text);
    if (status >= 200 && status < 300) {
      log.debug({ method, path, status }, 'assessment vendor call');
      return { status, body };
    }
    const error = rejected(method, path, status, readVendorErrors(body, text));
    log.warn({ method, path, status, retryable: error.details.retryable }, 'assessment vendor call failed');
    throw error;
  };
}

function unreachable(
  method: string,
  path: string,
  answer: Extract<TimedAnswer, { kind: 'unreachable' }>,
  timeoutMs: number,
): StagegateError {
  if (answer.reason === 'timeout') {
    return createProviderError(
      `The assessment vendor did not answer ${method} ${path} within ${timeoutMs} ms`,
      { status: null, retryable: true, method, path, reason: 'timeout' },
      answer.cause,
    );
  }
  if (answer.neverConnected) {
    // ProviderErrorDetails (src/providers/types.ts) does not list 'refused' among its reasons yet.
    return new StagegateError(
      'PROVIDER_API',
      `Could not connect to the assessment vendor for ${method} ${path}: ${answer.why}`,
      { details: { status: null, retryable: true, method, path, reason: 'refused' }, cause: answer.cause },
    );
  }
  return createProviderError(
    `Could not reach the assessment vendor for ${method} ${path}: ${answer.why}`,
    { status: null, retryable: true, method, path, reason: 'network' },
    answer.cause,
  );
}

function rejected(method: string, path: string, status: number, vendorErrors: string[]): StagegateError {
  const retryable = status === 429 || status >= 500;
  const said = vendorErrors.length > 0 ? vendorErrors.join('; ') : defaultText(status);
  const lead = retryable
    ? status === 429
      ? 'the vendor is limiting requests'
      : 'the vendor failed to handle the request'
    : 'the vendor rejected the request';
  return createProviderError(`Assessment vendor: ${lead}: ${said} (HTTP ${status} on ${method} ${path})`, {
    status,
    retryable,
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

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
