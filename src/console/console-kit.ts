import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { TenantEntry } from '../config/tenant-registry.js';
import { type ConsoleSession, createSessionSigner, sessionCookieName } from './console-session.js';
import type { ConsoleOptions } from './create-console-router.js';
import { type PageSession, renderPage } from './render-page.js';
import { type WeekCounts, weekCounts } from './tenant-pages.js';

/**
 * What the console's route modules share: the options, the session signer, how a page is sent,
 * the CSRF check for a change of state, and the tenants' week counts (cached). Made once per router.
 */
export interface ConsoleKit {
  options: ConsoleOptions;
  log: Logger;
  signer: ReturnType<typeof createSessionSigner>;
  /** The session cookie's header value: `value` for `maxAgeSeconds` (0 and '' sign out). */
  cookie(value: string, maxAgeSeconds: number): string;
  /** The session the guard found (on every route after sign-in). */
  sessionOf(res: Response): ConsoleSession;
  pageSession(res: Response): PageSession;
  send(res: Response, status: number, page: Parameters<typeof renderPage>[0]): void;
  tenantIds(): string[];
  /** A console form's body (urlencoded, 16 kB at most). */
  form: RequestHandler;
  /** Refuses (403) a request from another site or without the session's CSRF token. */
  checkCsrf: RequestHandler;
  /** The tenant's last seven days, reused for weekCountsTtlMs while its config version holds. */
  weekOf(entry: TenantEntry): Promise<WeekCounts>;
  /** Forgets a tenant's cached week (after an operator changed one of its actions). */
  forgetWeek(tenant: string): void;
}

export function createConsoleKit(options: ConsoleOptions): ConsoleKit {
  const { store, registry, clock } = options;
  const log = options.log.child({ component: 'console' });
  const signer = createSessionSigner({
    key: options.sessionKey,
    operators: options.operators.map((operator) => operator.name),
  });
  const sessionOf = (res: Response) => res.locals.session as ConsoleSession;
  const weekTtlMs = options.weekCountsTtlMs ?? 60_000;
  const weeks = new Map<string, { at: number; version: string | undefined; counts: Promise<WeekCounts> }>();
  const checkCsrf: RequestHandler = (req, res, next) => {
    const presented = req.get('x-csrf-token') ?? (req.body as { _csrf?: unknown } | undefined)?._csrf;
    if (isCrossSite(req) || !signer.checkCsrf(sessionOf(res), presented)) {
      log.warn(
        { operator: sessionOf(res).operator, path: req.path },
        'console request refused: CSRF check failed',
      );
      res
        .status(403)
        .type('text/plain')
        .send('Refused: this form did not come from the console (CSRF check).');
      return;
    }
    next();
  };
  return {
    options,
    log,
    signer,
    cookie: (value, maxAgeSeconds) =>
      `${sessionCookieName}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${options.secureCookies ? '; Secure' : ''}`,
    sessionOf,
    pageSession(res) {
      const session = sessionOf(res);
      return { operator: session.operator, csrf: signer.csrfToken(session) };
    },
    send(res, status, page) {
      res.status(status).type('html').send(renderPage(page));
    },
    tenantIds: () => registry.list().map((entry) => entry.id),
    form: express.urlencoded({ extended: false, limit: '16kb' }),
    checkCsrf,
    weekOf(entry) {
      const now = clock.now();
      const version = entry.snapshot?.version;
      const cached = weeks.get(entry.id);
      if (cached !== undefined && cached.version === version && now - cached.at < weekTtlMs)
        return cached.counts;
      const counts = weekCounts(store, entry, now);
      if (weekTtlMs > 0) {
        weeks.set(entry.id, { at: now, version, counts });
        counts.catch(() => weeks.delete(entry.id));
      }
      return counts;
    },
    forgetWeek(tenant) {
      weeks.delete(tenant);
    },
  };
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** A browser's own word that the request came from another site, or an Origin that is not ours. */
export function isCrossSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.get('origin');
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.get('host');
  } catch {
    return true;
  }
}
