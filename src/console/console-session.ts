import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { OperatorToken } from '../admin/operator-tokens.js';
import { parseJson } from '../kernel/json.js';

/** The console's session cookie: who signed in, until when, and the id its CSRF token is made from. */
export interface ConsoleSession {
  operator: string;
  /** Random, per sign-in: the synchronizer token of every form is an HMAC of it. */
  id: string;
  expiresAt: number;
}

export interface SessionSigner {
  /** The cookie's value for a new session of this operator. */
  issue(operator: string, now: number): { value: string; session: ConsoleSession };
  /** The session a cookie value carries, or undefined when forged, altered, expired or of an operator removed since. */
  verify(value: string | undefined, now: number): ConsoleSession | undefined;
  /** The CSRF token of a session; the same on every instance that has the key. */
  csrfToken(session: ConsoleSession): string;
  checkCsrf(session: ConsoleSession, presented: unknown): boolean;
}

export const sessionCookieName = 'stagegate_console';
/** A working day: a session signed in at 09:00 ends before the next morning. */
export const sessionLifetimeMs = 10 * 60 * 60 * 1000;

/**
 * The key sessions are signed with: STAGEGATE_SESSION_KEY when set, else derived from every operator
 * token (an HMAC of them), so that every instance with the same tokens accepts the same cookies and a
 * rotated or removed token ends every session.
 */
export function sessionKeyOf(configured: string | null, operators: readonly OperatorToken[]): Buffer {
  const material =
    configured ??
    [...operators]
      .map((operator) => `${operator.name}:${operator.token}`)
      .sort()
      .join('\n');
  return createHmac('sha256', 'stagegate console session key v1').update(material).digest();
}

const encode = (buffer: Buffer) => buffer.toString('base64url');

/** Cookies are `<base64url JSON>.<base64url HMAC-SHA256>`; no state is kept on the server. */
export function createSessionSigner(options: {
  key: Buffer;
  /** The operators that may hold a session now. */
  operators: readonly string[];
  lifetimeMs?: number;
}): SessionSigner {
  const { key } = options;
  const lifetimeMs = options.lifetimeMs ?? sessionLifetimeMs;
  const known = new Set(options.operators);
  const mac = (purpose: string, text: string) =>
    createHmac('sha256', key).update(purpose).update('\0').update(text).digest();
  const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

  return {
    issue(operator, now) {
      const session: ConsoleSession = { operator, id: encode(randomBytes(18)), expiresAt: now + lifetimeMs };
      const body = encode(Buffer.from(JSON.stringify(session)));
      return { value: `${body}.${encode(mac('session', body))}`, session };
    },

    verify(value, now) {
      if (value === undefined || value.length > 1024) return undefined;
      const [body, signature, extra] = value.split('.');
      if (body === undefined || signature === undefined || extra !== undefined) return undefined;
      if (!same(Buffer.from(signature, 'base64url'), mac('session', body))) return undefined;
      const session = parseJson(Buffer.from(body, 'base64url').toString('utf8')) as
        | Partial<ConsoleSession>
        | null
        | undefined;
      if (
        typeof session?.operator !== 'string' ||
        typeof session.id !== 'string' ||
        typeof session.expiresAt !== 'number' ||
        session.expiresAt <= now ||
        !known.has(session.operator)
      ) {
        return undefined;
      }
      return { operator: session.operator, id: session.id, expiresAt: session.expiresAt };
    },

    csrfToken(session) {
      return encode(mac('csrf', session.id));
    },

    checkCsrf(session, presented) {
      if (typeof presented !== 'string' || presented.length > 128) return false;
      return same(Buffer.from(presented, 'base64url'), mac('csrf', session.id));
    },
  };
}
