import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { Logger } from 'pino';
import { buildCandidateTimeline } from '../admin/candidate-timeline.js';
import { createOperatorCheck, type OperatorToken } from '../admin/operator-tokens.js';
import type { LoadedPack } from '../config/load-pack.js';
import type { TenantEntry, TenantRegistry } from '../config/tenant-registry.js';
import type { Executor } from '../execute/create-executor.js';
import type { RetryOptions } from '../execute/retry-action.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import type { LeverConnector } from '../lever/oauth/create-lever-connector.js';
import type { Store } from '../store/types.js';
import { renderCandidateSearch, renderDecision } from './candidate-pages.js';
import { consoleCss, consoleFavicon, consoleJs } from './console-assets.js';
import { type ConsoleSession, createSessionSigner, sessionCookieName } from './console-session.js';
import { html } from './html.js';
import { readPlaygroundRequest, renderPlayground, runPlayground } from './playground.js';
import { type PageSession, renderPage } from './render-page.js';
import { createSignInLimiter } from './sign-in-limiter.js';
import {
  type LeverLinkState,
  renderTenant,
  renderTenants,
  type WeekCounts,
  weekCounts,
} from './tenant-pages.js';

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

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** A browser's own word that the request came from another site, or an Origin that is not ours. */
function isCrossSite(req: Request): boolean {
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

/** Where a form may send the browser back to: a console page, never another site. */
function safeBack(value: unknown, fallback: string): string {
  return typeof value === 'string' && /^\/console(\/[A-Za-z0-9._~%\-/]*)?$/.test(value) ? value : fallback;
}

const defaultEvent = (stage: string) =>
  `# A move as Lever would report it; add tags, posting, invitations, email: null …
type: candidateStageChange
stage: ${JSON.stringify(stage)}
email: ada@example.com
tags: []
`;

/**
 * The operator's web console, to mount at `/console`: server-rendered pages over the same store,
 * registry and executor as the admin API. Off (404) unless an operator token is configured.
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
  const { store, registry, executor, clock } = options;
  const log = options.log.child({ component: 'console' });
  const operatorOf = createOperatorCheck(options.operators);
  const signer = createSessionSigner({
    key: options.sessionKey,
    operators: options.operators.map((operator) => operator.name),
  });
  const cookie = (value: string, maxAgeSeconds: number) =>
    `${sessionCookieName}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${options.secureCookies ? '; Secure' : ''}`;
  const sessionOf = (res: Response) => res.locals.session as ConsoleSession;
  const pageSession = (res: Response): PageSession => {
    const session = sessionOf(res);
    return { operator: session.operator, csrf: signer.csrfToken(session) };
  };
  const tenantIds = () => registry.list().map((entry) => entry.id);
  const signIns = createSignInLimiter({ clock, ...options.signInLimit });
  const weekTtlMs = options.weekCountsTtlMs ?? 60_000;
  const weeks = new Map<string, { at: number; version: string | undefined; counts: Promise<WeekCounts> }>();
  const weekOf = (entry: TenantEntry): Promise<WeekCounts> => {
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
  };
  const send = (res: Response, status: number, page: Parameters<typeof renderPage>[0]) => {
    res.status(status).type('html').send(renderPage(page));
  };

  router.get('/assets/console.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('text/css').send(consoleCss);
  });
  router.get('/assets/favicon.svg', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('image/svg+xml').send(consoleFavicon);
  });
  router.get('/assets/console.js', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('text/javascript').send(consoleJs);
  });

  const loginPage = (problem?: string) => ({
    title: 'Sign in',
    session: null,
    problem,
    body: html`<form method="post" action="/console/login" class="card login">
<p>Sign in with your operator token (STAGEGATE_ADMIN_TOKENS names one per person).</p>
<label for="token">Operator token</label>
<input id="token" type="password" name="token" required autocomplete="current-password" autofocus>
<button type="submit">Sign in</button></form>`,
  });
  router.get('/login', (req, res) => {
    if (signer.verify(readCookie(req, sessionCookieName), clock.now()) !== undefined) {
      res.redirect(303, '/console');
      return;
    }
    send(res, 200, loginPage());
  });
  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    if (isCrossSite(req)) {
      send(res, 403, loginPage('Sign-in from another site is refused.'));
      return;
    }
    // The socket's address (no proxy header is trusted): behind a reverse proxy every client shares it.
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const waitMs = signIns.waitFor(ip);
    if (waitMs > 0) {
      // Refused before the token is looked at: a guess made now tells nothing.
      const seconds = Math.ceil(waitMs / 1000);
      log.warn({ ip, retryAfterSeconds: seconds }, 'console sign-in refused: too many failed attempts');
      res.set('Retry-After', String(seconds));
      send(
        res,
        429,
        loginPage(
          `Too many failed sign-ins from your address: try again in ${seconds < 60 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`}.`,
        ),
      );
      return;
    }
    const token = (req.body as { token?: unknown } | undefined)?.token;
    const operator = typeof token === 'string' ? operatorOf(token.trim()) : undefined;
    if (operator === undefined) {
      const usedUp = signIns.failed(ip);
      log.warn(
        { ip, ...(usedUp ? { limited: true } : {}) },
        usedUp
          ? 'console sign-in refused: not an operator token; this address is refused for a while'
          : 'console sign-in refused: not an operator token',
      );
      send(res, 401, loginPage('That is not an operator token.'));
      return;
    }
    signIns.succeeded(ip);
    const { value, session } = signer.issue(operator, clock.now());
    log.info({ operator }, 'operator signed in to the console');
    res.set('Set-Cookie', cookie(value, Math.floor((session.expiresAt - clock.now()) / 1000)));
    res.redirect(303, '/console');
  });

  // Every route below needs a session; a change of state needs its CSRF token too.
  router.use((req, res, next) => {
    const session = signer.verify(readCookie(req, sessionCookieName), clock.now());
    if (session === undefined) {
      if (req.method === 'GET' || req.method === 'HEAD') res.redirect(303, '/console/login');
      else res.status(401).type('text/plain').send('Sign in first: the session is missing or has expired.');
      return;
    }
    res.locals.session = session;
    next();
  });
  const form = express.urlencoded({ extended: false, limit: '16kb' });
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

  router.post('/logout', form, checkCsrf, (_req, res) => {
    log.info({ operator: sessionOf(res).operator }, 'operator signed out of the console');
    res.set('Set-Cookie', cookie('', 0));
    res.redirect(303, '/console/login');
  });

  router.get('/', async (_req, res) => {
    const rows = await Promise.all(
      registry.list().map(async (entry) => ({ entry, week: await weekOf(entry) })),
    );
    send(res, 200, { title: 'Tenants', session: pageSession(res), body: renderTenants(rows) });
  });

  const tenantPage = async (res: Response, id: string, status: number, notice?: string, problem?: string) => {
    const entry = registry.get(id);
    if (entry === undefined) throw new StagegateError('NOT_FOUND', `No tenant ${id} is loaded.`);
    const oauth = entry.snapshot?.settings.lever.auth === 'oauth';
    const [week, decisions, failed, lever] = await Promise.all([
      weekOf(entry),
      store.recentDecisions(id, options.recentDecisions ?? 20),
      // By status alone, then the tenant here: failed actions are few, and on SQLite the index on
      // status serves this where (tenant, status) would be planned over every action of the tenant.
      store
        .listActions({ status: 'failed' })
        .then((failed) => failed.filter((record) => record.tenant === id)),
      !oauth ? undefined : connect === undefined ? ({ kind: 'not-configured' } as const) : connect.state(id),
    ]);
    const body = renderTenant({
      entry,
      tenants: tenantIds(),
      week,
      decisions,
      deadLetters: failed.sort((a, b) => a.createdAt - b.createdAt || a.index - b.index),
      session: pageSession(res),
      lever,
    });
    const title = entry.snapshot?.settings.displayName ?? id;
    send(res, status, { title: `Tenant ${title}`, session: pageSession(res), body, notice, problem });
  };
  const notices: Record<string, string> = {
    retried: 'was put back to be tried again now',
    'sent-again': 'is sent again: you found no invitation at the vendor',
    recorded: 'is recorded as sent with the vendor’s invitation id',
  };
  router.get('/tenants/:tenant', async (req, res) => {
    const done = typeof req.query.done === 'string' ? notices[req.query.done] : undefined;
    const action = typeof req.query.action === 'string' ? req.query.action : '';
    await tenantPage(
      res,
      req.params.tenant,
      200,
      // Who did it: the one signed in, whom the form sent back here (the log keeps it for everyone).
      done === undefined ? undefined : `Action ${action} ${done} (by ${sessionOf(res).operator}).`,
    );
  });

  // The tenant page's Connect button: the same one-time link as `stagegate connect`, the browser sent on to it.
  router.post('/tenants/:tenant/connect', form, checkCsrf, async (req, res) => {
    const { operator } = sessionOf(res);
    const tenant = String(req.params.tenant);
    if (registry.get(tenant) === undefined)
      throw new StagegateError('NOT_FOUND', `No tenant ${tenant} is loaded.`);
    if (connect === undefined) {
      throw new StagegateError(
        'NOT_FOUND',
        'OAuth is not configured here: the operator sets STAGEGATE_LEVER_CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI and STAGEGATE_SECRET_KEY',
      );
    }
    let started: { link: string; expiresAt: number };
    try {
      started = await connect.begin(tenant);
    } catch (error) {
      const failure = toStagegateError(error);
      if (failure.status >= 500) throw failure;
      log.warn({ operator, tenant, code: failure.code }, failure.message);
      await tenantPage(res, tenant, failure.status, undefined, failure.message);
      return;
    }
    // The link itself is not logged: until it is used or replaced, it starts a grant.
    log.info(
      { operator, tenant, expiresAt: started.expiresAt },
      `operator ${operator} started connecting tenant ${tenant} to Lever in the console`,
    );
    res.redirect(303, started.link);
  });

  const actOn = async (req: Request, res: Response, retryOptions: RetryOptions, done: string) => {
    const { operator } = sessionOf(res);
    const id = String(req.params.id);
    const record = await store.getAction(id);
    if (record === undefined) throw new StagegateError('NOT_FOUND', `No action ${id}.`);
    const back = safeBack(
      (req.body as { back?: unknown }).back,
      `/console/tenants/${encodeURIComponent(record.tenant)}`,
    );
    try {
      const { resumed } = await executor.retry(record.id, retryOptions);
      weeks.delete(record.tenant);
      log.info(
        {
          operator,
          tenant: record.tenant,
          action: record.id,
          resumed: resumed.map((r) => r.id),
          ...retryOptions,
        },
        `operator ${operator} ${done === 'retried' ? 'retried' : 'resolved'} action ${record.id} in the console`,
      );
    } catch (error) {
      const failure = toStagegateError(error);
      if (failure.status >= 500) throw failure;
      log.warn({ operator, action: record.id, code: failure.code }, failure.message);
      await tenantPage(res, record.tenant, failure.status, undefined, failure.message);
      return;
    }
    const separator = back.includes('?') ? '&' : '?';
    res.redirect(303, `${back}${separator}done=${done}&action=${encodeURIComponent(record.id)}`);
  };
  router.post('/actions/:id/retry', form, checkCsrf, async (req, res) => {
    await actOn(req, res, {}, 'retried');
  });
  router.post('/actions/:id/resolve', form, checkCsrf, async (req, res) => {
    const body = req.body as { answer?: unknown; atVendor?: unknown };
    if (body.answer === 'not-at-vendor') return actOn(req, res, { notAtVendor: true }, 'sent-again');
    const atVendor = typeof body.atVendor === 'string' ? body.atVendor.trim() : '';
    if (body.answer !== 'at-vendor' || atVendor === '') {
      throw new StagegateError('BAD_JSON', "give the vendor's invitation id, or say it is not at the vendor");
    }
    return actOn(req, res, { atVendor }, 'recorded');
  });

  router.get('/candidates', async (req, res) => {
    const tenants = tenantIds();
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : tenants[0];
    const query = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    const page = (body: Parameters<typeof renderCandidateSearch>[0], status = 200) =>
      send(res, status, {
        title: 'Find a candidate',
        session: pageSession(res),
        body: renderCandidateSearch(body),
      });
    if (tenant === undefined || query === '') return page({ tenants, tenant, query });
    if (registry.get(tenant) === undefined)
      return page({ tenants, tenant, query, problem: `No tenant ${tenant} is loaded.` }, 404);
    const matches = query.includes('@') ? await store.findOpportunitiesByEmail(tenant, query) : [query];
    const only = matches.length === 1 ? matches[0] : undefined;
    const records = only === undefined ? undefined : await store.findCandidate(tenant, only);
    if (only !== undefined && records !== undefined) {
      return page({ tenants, tenant, query, timeline: buildCandidateTimeline(tenant, only, records) });
    }
    if (matches.length > 1) return page({ tenants, tenant, query, matches });
    const tombstone = only === undefined ? undefined : await store.getTombstone(tenant, only);
    const problem =
      tombstone !== undefined
        ? `This candidate was purged on ${new Date(tombstone.purgedAt).toISOString().slice(0, 10)}: nothing about them is kept.`
        : `Tenant ${tenant} has no record of ${query}.`;
    return page({ tenants, tenant, query, problem }, 404);
  });

  router.get('/decisions/:id', async (req, res) => {
    const record = await store.getDecision(req.params.id);
    if (record === undefined) throw new StagegateError('NOT_FOUND', `No decision ${req.params.id}.`);
    send(res, 200, {
      title: `Decision ${record.id}`,
      session: pageSession(res),
      body: renderDecision(record),
    });
  });

  router.get('/playground', async (req, res) => {
    const tenants = tenantIds();
    const wanted = typeof req.query.tenant === 'string' ? req.query.tenant : tenants[0];
    const entry = wanted === undefined ? undefined : registry.get(wanted);
    if (entry === undefined) throw new StagegateError('NOT_FOUND', `No tenant ${wanted ?? ''} is loaded.`);
    const yaml = (await options.readTenantFile(entry)) ?? '';
    const stage = entry.snapshot?.settings.triggers[0]?.stage ?? 'Technical Screen';
    const body = renderPlayground({
      tenants,
      tenant: entry.id,
      yaml,
      event: defaultEvent(stage),
      csrf: pageSession(res).csrf,
    });
    send(res, 200, { title: 'Rule playground', session: pageSession(res), body, scripts: true });
  });
  router.post('/playground/decide', express.json({ limit: '600kb' }), checkCsrf, async (req, res) => {
    const request = readPlaygroundRequest(req.body);
    const packs = await options.readPacks();
    res.json(await runPlayground(request, { findPack: (name) => packs.get(name), now: clock.now() }));
  });

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
    const session = res.locals.session === undefined ? null : pageSession(res);
    send(res, status, {
      title: status === 404 ? 'Not found' : 'Cannot do that',
      session,
      problem: message,
      body: '',
    });
  };
  router.use(answerError);
  return router;
}
