import express, { type Router } from 'express';
import { createOperatorCheck } from '../admin/operator-tokens.js';
import { type ConsoleKit, isCrossSite, readCookie } from './console-kit.js';
import { sessionCookieName } from './console-session.js';
import { html } from './html.js';
import { createSignInLimiter } from './sign-in-limiter.js';

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

/**
 * Sign-in (a named operator token, failed attempts limited per address), then the guard every later
 * route passes (a valid session cookie, else the sign-in page or 401), then sign-out.
 */
export function addSignInRoutes(router: Router, kit: ConsoleKit): void {
  const { options, signer, log, send } = kit;
  const { clock } = options;
  const operatorOf = createOperatorCheck(options.operators);
  const signIns = createSignInLimiter({ clock, ...options.signInLimit });

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
    res.set('Set-Cookie', kit.cookie(value, Math.floor((session.expiresAt - clock.now()) / 1000)));
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

  router.post('/logout', kit.form, kit.checkCsrf, (_req, res) => {
    log.info({ operator: kit.sessionOf(res).operator }, 'operator signed out of the console');
    res.set('Set-Cookie', kit.cookie('', 0));
    res.redirect(303, '/console/login');
  });
}
