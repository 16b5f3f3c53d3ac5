import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { OperatorToken } from '../admin/operator-tokens.js';
import type { LoadedPack } from '../config/load-pack.js';
import type { TenantEntry, TenantRegistry } from '../config/tenant-registry.js';
import type { Executor } from '../execute/create-executor.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import type { LeverConnector } from '../lever/oauth/create-lever-connector.js';
import type { Store } from '../store/types.js';
import { addActionRoutes } from './action-routes.js';
import { consoleCss, consoleFavicon, consoleJs } from './console-assets.js';
import { createConsoleKit } from './console-kit.js';
import { addPageRoutes, createTenantPage } from './page-routes.js';
import { addPlaygroundRoutes } from './playground.js';
import { addSignInRoutes } from './sign-in-routes.js';
import type { LeverLinkState } from './tenant-pages.js';

export interface ConsoleOptions {
  operators: readonly OperatorToken[];
  /** Signs session cookies and CSRF tokens (see sessionKeyOf): the same on every instance. */
  sessionKey: Buffer;
  /** Cookies are marked Secure when the service is reached over https (STAGEGATE_PUBLIC_URL). */
  secureCookies: boolean;
  store: Store;
  registry: Pick<TenantRegistry, 'list' | 'get'>;
  executor: Pick<Executor, 'retry'>;
  /** The tenant's file as it is on disk now, for the playground to start from. */
  readTenantFile(entry: TenantEntry): Promise<string | undefined>;
  /** The rule packs as they are on disk now, for the playground. */
  readPacks(): Promise<ReadonlyMap<string, LoadedPack>>;
  clock: Clock;
  log: Logger;
  /** How many recent decisions the tenant page lists. */
  recentDecisions?: number;
  /**
   * How long a tenant's week counts are reused (60 s by default; 0: read every time). Counting a
   * busy tenant's week reads every decision of it, a few hundred milliseconds on SQLite.
   */
  weekCountsTtlMs?: number;
  /**
   * The Lever connect flow of OAuth tenants, as POST /admin/tenants/:tenant/connect runs it; absent
   * when OAuth is not configured on this service.
   */
  leverConnect?: {
    begin: LeverConnector['begin'];
    /** What the tenant page says of the tenant's grant (no call to Lever). */
    state(tenant: string): Promise<LeverLinkState>;
    /** Lever's consent page (STAGEGATE_LEVER_AUTHORIZE_URL): the connect form is sent on to it. */
    authorizeUrl: string;
    /** Where Lever sends the browser back (STAGEGATE_LEVER_REDIRECT_URI): this service's callback. */
    redirectUri: string;
  };
  /** Failed sign-ins an address may make in a window (10 in 5 minutes by default), then 429. */
  signInLimit?: { maxFailures?: number; windowMs?: number };
}

// Everything the console loads comes from here; no inline script or style, no frame, no plug-in.
// form-action also covers every redirect after a form is sent: the connect form's 303 goes to Lever's
// consent page, which may send the browser straight back to our callback (a consent given before),
// so with OAuth configured those two origins are allowed, and no other.
const contentSecurityPolicy = (formTargets: readonly string[]) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    ["form-action 'self'", ...formTargets].join(' '),
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

const securityHeaders =
  (policy: string): RequestHandler =>
  (_req, res, next) => {
    res.set({
      'Content-Security-Policy': policy,
      'X-Content-Type-Options': 'nosniff',
      // Not no-referrer: under it Chromium sends `Origin: null` with the console's own forms, which
      // the cross-site check must refuse. same-origin tells other sites nothing.
      'Referrer-Policy': 'same-origin',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'no-store',
    });
    next();
  };

/**
 * The operator's web console, to mount at `/console`: server-rendered pages over the same store,
 * registry and executor as the admin API. Off (404) unless an operator token is configured.
 * The routes live by concept: sign-in and the session guard (sign-in-routes.ts), the pages that
 * read (page-routes.ts), the posts that change something (action-routes.ts), the playground
 * (playground.ts); what they share is a ConsoleKit (console-kit.ts).
 */
export function createConsoleRouter(options: ConsoleOptions): Router {
  const router = express.Router();
  const connect = options.leverConnect;
  router.use(
    securityHeaders(
      contentSecurityPolicy(
        connect === undefined
          ? []
          : [...new Set([connect.authorizeUrl, connect.redirectUri].map((url) => new URL(url).origin))],
      ),
    ),
  );
  if (options.operators.length === 0) {
    router.use((_req, res) => {
      res.status(404).type('text/plain').send('The console is off: no operator token is configured.');
    });
    return router;
  }
  const kit = createConsoleKit(options);
  const { log } = kit;

  router.get('/assets/console.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('text/css').send(consoleCss);
  });
  router.get('/assets/favicon.svg', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('image/svg+xml').send(consoleFavicon);
  });
  router.get('/assets/console.js', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('text/javascript').send(consoleJs);
  });

  // Sign-in first: every route added after it needs a session.
  addSignInRoutes(router, kit);
  const tenantPage = createTenantPage(kit);
  addPageRoutes(router, kit, tenantPage);
  addActionRoutes(router, kit, tenantPage);
  addPlaygroundRoutes(router, kit);

  router.use((_req, _res, next) => {
    next(new StagegateError('NOT_FOUND', 'No such console page.'));
  });
  const answerError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const failure = toStagegateError(error);
    // body-parser's own errors (a body over the limit, JSON that does not parse) carry their 4xx.
    const given = (error as { status?: unknown }).status;
    const status = typeof given === 'number' && given >= 400 && given < 500 ? given : failure.status;
    if (status >= 500) log.error({ err: error, path: req.path }, 'console page failed');
    if (res.headersSent) return;
    const message = status >= 500 ? 'Something went wrong; the log has the details.' : failure.message;
    if (req.path.startsWith('/playground/')) {
      res.status(status).json({ error: failure.code, message });
      return;
    }
    const session = res.locals.session === undefined ? null : kit.pageSession(res);
    kit.send(res, status, {
      title: status === 404 ? 'Not found' : 'Cannot do that',
      session,
      problem: message,
      body: '',
    });
  };
  router.use(answerError);
  return router;
}
