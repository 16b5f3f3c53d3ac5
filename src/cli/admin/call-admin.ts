import { parseJson } from '../../kernel/json.js';
import { type CliIo, exitCodes } from '../io.js';

export const defaultServiceUrl = 'http://127.0.0.1:8080';
const timeoutMs = 10_000;

/** Where the running service is: `--url`, else STAGEGATE_URL, else the default. */
export interface AdminTarget {
  url?: string;
}

export type AdminAnswer<T> = { ok: true; body: T } | { ok: false; code: number };

/**
 * One request to the running service's admin API. What went wrong is printed here, so a command only
 * returns `code`: 2 when the request could not be made (no token, bad URL, service unreachable), 1 when
 * the service answered an error. The token goes in the header and nowhere else.
 */
export async function callAdmin<T>(
  io: CliIo,
  target: AdminTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<AdminAnswer<T>> {
  const fail = (code: number, message: string): AdminAnswer<T> => {
    io.stderr.write(`${message}\n`);
    return { ok: false, code };
  };
  const token = io.env.STAGEGATE_ADMIN_TOKEN;
  if (token === undefined || token === '') {
    return fail(
      exitCodes.invalid,
      'STAGEGATE_ADMIN_TOKEN is not set: set it to the admin token the stagegate service was started with',
    );
  }
  const base = (target.url ?? io.env.STAGEGATE_URL ?? defaultServiceUrl).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${base}/admin${path}`);
  } catch {
    return fail(
      exitCodes.invalid,
      `'${base}' is not a URL (give --url or STAGEGATE_URL like ${defaultServiceUrl})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fail(exitCodes.invalid, `'${base}' is not an http(s) URL`);
  }

  let status: number;
  let text: string;
  try {
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // The token is not for whoever a redirect points at.
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    return fail(
      exitCodes.invalid,
      `cannot reach the stagegate service at ${base}: ${describeFetchError(error)}`,
    );
  }

  const parsed = parseJson(text);
  if (status < 200 || status > 299) {
    const answer = parsed as { error?: unknown; message?: unknown } | undefined;
    if (typeof answer?.error !== 'string') {
      return fail(exitCodes.failed, `the service at ${base} answered HTTP ${status} without an error code`);
    }
    const message = typeof answer.message === 'string' ? `: ${answer.message}` : '';
    return fail(exitCodes.failed, `${answer.error}${message}${hint(status, answer.error, message)}`);
  }
  if (parsed === undefined)
    return fail(exitCodes.failed, `the service at ${base} answered HTTP ${status} without JSON`);
  return { ok: true, body: parsed as T };
}

function hint(status: number, error: string, message: string): string {
  if (status === 401) return ' (STAGEGATE_ADMIN_TOKEN does not match the service’s admin token)';
  // The admin API says it is off; a service from before that answered a bare NOT_FOUND.
  if (status === 404 && error === 'NOT_FOUND' && message === '') {
    return ' (is the admin API on? the service needs an admin token configured)';
  }
  return '';
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
