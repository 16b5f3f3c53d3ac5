import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionSigner, sessionKeyOf } from '../../src/console/console-session.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { clientWith, signIn } from '../support/console-client.js';
import {
  type ConsoleWorld,
  hostileName,
  hostilePrefix,
  oauthApp,
  oauthEnv,
  oauthTenant,
  operatorTokens,
  startConsoleWorld,
} from '../support/console-world.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';

const operators = Object.entries(operatorTokens).map(([name, token]) => ({ name, token }));
const signerWithTheServiceKey = () =>
  createSessionSigner({ key: sessionKeyOf(null, operators), operators: ['ana', 'ben', 'carol'] });

describe('the console over HTTP', () => {
  let world: ConsoleWorld;
  beforeAll(async () => {
    world = await startConsoleWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('signs an operator in with a named token: an HttpOnly, SameSite=Strict cookie, pages under a CSP', async () => {
    const answer = await fetch(`${world.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: operatorTokens.ana }),
    });
    expect(answer.status).toBe(303);
    const cookie = answer.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^stagegate_console=[^;]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    const page = await clientWith(world.url, cookie.split(';')[0] ?? '').get('/console');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const body = await page.text();
    expect(body).toContain('Signed in as <strong>ana</strong>');
    expect(body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    expect(
      world.server.lines.some((line) => line.includes('"operator":"ana"') && line.includes('signed in')),
    ).toBe(true);
  });

  it('refuses a token that is no operator’s, and never logs it', async () => {
    const wrong = 'not-a-token-0123456789abcdef0123456789';
    const answer = await fetch(`${world.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: wrong }),
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(world.server.lines.join('\n')).not.toContain(wrong);
  });

  it('refuses a forged, altered, expired or removed operator’s cookie: back to sign-in', async () => {
    const signer = signerWithTheServiceKey();
    const now = Date.now();
    const good = signer.issue('ana', now).value;
    const [body, signature] = good.split('.') as [string, string];
    const altered = `${Buffer.from(JSON.stringify({ operator: 'ben', id: 'x', expiresAt: now + 3_600_000 })).toString('base64url')}.${signature}`;
    const cases = {
      garbage: 'stagegate_console=garbage',
      'bad signature': `stagegate_console=${body}.${'A'.repeat(43)}`,
      altered: `stagegate_console=${altered}`,
      expired: `stagegate_console=${signer.issue('ana', now - 11 * 3_600_000).value}`,
      'removed operator': `stagegate_console=${signer.issue('carol', now).value}`,
    };
    for (const [what, cookie] of Object.entries(cases)) {
      const page = await clientWith(world.url, cookie).get('/console');
      expect([what, page.status, page.headers.get('location')]).toEqual([what, 303, '/console/login']);
      const post = await clientWith(world.url, cookie).post(
        `/console/actions/${world.ids.deadLetter}/retry`,
        {},
      );
      expect([what, post.status]).toEqual([what, 401]);
    }
    // The same cookie signed with the service's key works: any instance with the same tokens accepts it.
    expect((await clientWith(world.url, `stagegate_console=${good}`).get('/console')).status).toBe(200);
  });

  it('refuses a change of state without the session’s CSRF token, or from another site', async () => {
    const ana = await signIn(world.url, operatorTokens.ana);
    const ben = await signIn(world.url, operatorTokens.ben);
    const path = `/console/actions/${world.ids.deadLetter}/retry`;
    const refusals = [
      await ana.post(path, {}),
      await ana.post(path, { _csrf: 'forged' }),
      await ana.post(path, { _csrf: await ben.csrf() }),
      await ana.post(path, { _csrf: await ana.csrf() }, { origin: 'https://evil.example' }),
      await ana.post(path, { _csrf: await ana.csrf() }, { 'sec-fetch-site': 'cross-site' }),
    ];
    expect(refusals.map((answer) => answer.status)).toEqual([403, 403, 403, 403, 403]);
    expect((await world.server.store.getAction(world.ids.deadLetter))?.status).toBe('failed');
    const logout = await ana.post('/console/logout', {});
    expect(logout.status).toBe(403);
  });

  it('escapes a hostile tenant’s name and tags on every page, and shows a vendor’s javascript: link inert', async () => {
    const ana = await signIn(world.url, operatorTokens.ana);
    for (const path of [
      '/console',
      '/console/tenants/evil',
      '/console/candidates?tenant=evil&q=opp-evil',
      '/console/playground?tenant=evil',
    ]) {
      const page = await (await ana.get(path)).text();
      expect(page, path).not.toContain(hostileName);
      expect(page, path).not.toContain('<img src=x');
      expect(page, path).not.toContain(hostilePrefix);
    }
    const tenant = await (await ana.get('/console/tenants/evil')).text();
    expect(tenant).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(tenant).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt; - Error');
    const candidate = await (await ana.get('/console/candidates?tenant=acme&q=opp-sent')).text();
    expect(candidate).not.toContain('javascript:');
    expect(candidate).toContain('href="#"');
  });

  it('counts the week per tenant from the store, and offers no retry for an action dropped with another', async () => {
    const ana = await signIn(world.url, operatorTokens.ana);
    const page = await (await ana.get('/console/tenants/acme')).text();
    expect(page).toContain(`Dropped when ${world.ids.inDoubt} failed: it comes back with that one.`);
    expect(page).not.toContain(`aria-label="Retry ${world.ids.inDoubt.replace(/:0$/, ':1')}"`);
    expect(page).toContain(
      '3 sent, 1 completed (1 pass, 0 fail), 1 error (held with the Error tag), 3 dead letters (1 in doubt)',
    );
  });

  it('the admin API takes the named tokens too, and its log says which operator retried', async () => {
    const status = await fetch(`${world.url}/admin/status`, {
      headers: { authorization: `Bearer ${operatorTokens.ben}` },
    });
    expect(status.status).toBe(200);
    const refused = await fetch(`${world.url}/admin/status`, { headers: { authorization: 'Bearer nope' } });
    expect(refused.status).toBe(401);
    const retry = await fetch(`${world.url}/admin/actions/${world.ids.inDoubt}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorTokens.ben}`, 'content-type': 'application/json' },
      body: JSON.stringify({ atVendor: 'sbx-unknown' }),
    });
    // The sandbox knows no such invitation: refused, and nothing changed.
    expect(retry.status).toBeGreaterThanOrEqual(400);
    expect((await world.server.store.getAction(world.ids.inDoubt))?.status).toBe('failed');
  });

  it('the playground endpoint needs the CSRF token and decides in memory', async () => {
    const ana = await signIn(world.url, operatorTokens.ana);
    const csrf = await ana.csrf('/console/playground?tenant=acme');
    const body = JSON.stringify({
      tenant: 'acme',
      yaml: 'tenant: acme\nlever:\n  apiKey: { env: ACME__LEVER_API_KEY }\n  baseUrl: http://127.0.0.1:9\nprovider: { kind: sandbox }\ntests: { "Backend - Python": { providerTestId: p } }\ntriggers:\n  - stage: Technical Screen\n    defaultTest: "Backend - Python"\n    colour: blue\n',
      event: 'type: candidateStageChange\nstage: Technical Screen\n',
    });
    const headers = { cookie: ana.cookie, 'content-type': 'application/json' };
    const refused = await fetch(`${world.url}/console/playground/decide`, { method: 'POST', headers, body });
    expect(refused.status).toBe(403);
    const answer = await fetch(`${world.url}/console/playground/decide`, {
      method: 'POST',
      headers: { ...headers, 'x-csrf-token': csrf },
      body,
    });
    expect(answer.status).toBe(200);
    const result = (await answer.json()) as { diagnostics: { line: number; code: string }[] };
    expect(result.diagnostics).toContainEqual(expect.objectContaining({ line: 10, code: 'unknown-key' }));
    const broken = await fetch(`${world.url}/console/playground/decide`, {
      method: 'POST',
      headers: { ...headers, 'x-csrf-token': csrf },
      body: '{"tenant": ',
    });
    expect(broken.status).toBe(400);
    const wrongShape = await fetch(`${world.url}/console/playground/decide`, {
      method: 'POST',
      headers: { ...headers, 'x-csrf-token': csrf },
      body: JSON.stringify({ tenant: '../etc', yaml: '', event: '' }),
    });
    expect(wrongShape.status).toBe(400);
  });
});

describe('the console’s sign-in limit, on a clock the test moves', () => {
  const clock = createManualClock(Date.now());
  let world: ConsoleWorld;
  beforeAll(async () => {
    world = await startConsoleWorld({}, { clock });
  });
  afterAll(async () => {
    await world?.close();
  });

  const signInWith = (token: string) =>
    fetch(`${world.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });

  it('answers 429 with Retry-After after 10 failed sign-ins from an address in 5 minutes, then lets it in again', async () => {
    const guesses = Array.from({ length: 10 }, (_, n) => `guess-${n}-0123456789abcdef0123456789`);
    const statuses = [];
    for (const guess of guesses) {
      statuses.push((await signInWith(guess)).status);
      clock.advance(1_000);
    }
    expect(statuses).toEqual(Array(10).fill(401));
    const limited = await signInWith('one-more-guess-0123456789abcdef0123');
    expect(limited.status).toBe(429);
    // The first failure was 10 s ago: it leaves the 5-minute window in 290 s.
    expect(limited.headers.get('retry-after')).toBe('290');
    expect(await limited.text()).toContain(
      'Too many failed sign-ins from your address: try again in 5 minutes.',
    );
    // While refused, even the right token gets no session: a guess made now tells nothing.
    const right = await signInWith(operatorTokens.ana);
    expect([right.status, right.headers.get('set-cookie')]).toEqual([429, null]);
    clock.advance(60_000);
    expect((await signInWith(operatorTokens.ana)).headers.get('retry-after')).toBe('230');
    clock.advance(230_000);
    expect((await signInWith(operatorTokens.ana)).status).toBe(303);
    const log = world.server.lines.join('\n');
    expect(log).toContain('console sign-in refused: too many failed attempts');
    expect(log).toContain('"retryAfterSeconds":290');
    for (const token of [...guesses, operatorTokens.ana]) expect(log).not.toContain(token);
  });
});

describe('the console’s Connect to Lever button, for a tenant on OAuth', () => {
  let world: ConsoleWorld;
  let lever: LeverSimulator;
  beforeAll(async () => {
    lever = await startLeverSimulator({ apiKeys: [], oauth: oauthApp, rateLimit: false });
    world = await startConsoleWorld(oauthEnv(lever), { tenants: { globex: oauthTenant('globex', lever) } });
  });
  afterAll(async () => {
    await world?.close();
    await lever?.close();
  });

  it('refuses to start without the CSRF token, and sends the browser to Lever’s consent with a state for that tenant', async () => {
    const ana = await signIn(world.url, operatorTokens.ana);
    const page = await (await ana.get('/console/tenants/globex')).text();
    expect(page).toContain('<strong>Not connected</strong>');
    expect(page).toContain('action="/console/tenants/globex/connect"');
    expect(page).toContain('>Connect to Lever</button>');
    expect(await (await ana.get('/console/tenants/acme')).text()).not.toContain('Lever connection');
    const path = '/console/tenants/globex/connect';
    const refusals = [
      await ana.post(path, {}),
      await ana.post(path, { _csrf: 'forged' }),
      await ana.post(path, { _csrf: await ana.csrf() }, { 'sec-fetch-site': 'cross-site' }),
    ];
    expect(refusals.map((answer) => answer.status)).toEqual([403, 403, 403]);

    const started = await ana.post(path, { _csrf: await ana.csrf() });
    expect(started.status).toBe(303);
    const link = new URL(started.headers.get('location') ?? '');
    expect(`${link.origin}${link.pathname}`).toBe(lever.authorizeUrl);
    const state = link.searchParams.get('state') ?? '';
    expect(state.startsWith('globex.')).toBe(true);
    // The console's forms may go on to Lever's consent page and our callback, and nowhere else.
    expect(started.headers.get('content-security-policy')).toContain(
      `form-action 'self' ${new URL(lever.authorizeUrl).origin} https://stagegate.example;`,
    );
    const logged = world.server.lines.filter((line) => line.includes('started connecting tenant globex'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('"operator":"ana"');
    expect(world.server.lines.join('\n')).not.toContain(state);

    // The Super Admin consents; Lever sends the browser back with the code and the state.
    const consent = await fetch(link, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get('location') ?? '');
    expect(back.searchParams.get('state')).toBe(state);
    const callback = await fetch(`${world.url}${back.pathname}${back.search}`);
    expect([callback.status, await callback.text()]).toEqual([200, expect.stringContaining('Connected')]);
    const connected = await (await ana.get('/console/tenants/globex')).text();
    expect(connected).toContain('<span class="ready">Connected</span> with OAuth since');
    expect(connected).toContain('>Reconnect to Lever</button>');
  });

  it('says when Lever refuses the grant, and Reconnect starts a new link', async () => {
    lever.revokeGrants();
    lever.dropAccessTokens();
    // Any call with the grant finds out: here `stagegate check`'s read of the connection.
    await fetch(`${world.url}/admin/tenants/globex/lever-connection`, {
      headers: { authorization: `Bearer ${operatorTokens.ben}` },
    });
    const ben = await signIn(world.url, operatorTokens.ben);
    const page = await (await ben.get('/console/tenants/globex')).text();
    expect(page).toContain('<strong>Needs reconnecting</strong>');
    expect(page).toMatch(/<button type="submit">Reconnect to Lever<\/button>/);
    const again = await ben.post('/console/tenants/globex/connect', { _csrf: await ben.csrf() });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toContain(lever.authorizeUrl);
    expect(
      world.server.lines.some((l) => l.includes('"operator":"ben"') && l.includes('started connecting')),
    ).toBe(true);
  });

  it('refuses a tenant on an API key with the reason, and an unknown tenant', async () => {
    const ana = await signIn(world.url, operatorTokens.ana);
    const csrf = await ana.csrf();
    const apiKey = await ana.post('/console/tenants/acme/connect', { _csrf: csrf });
    expect(apiKey.status).toBe(409);
    expect(await apiKey.text()).toContain('tenant acme is not loaded with lever.auth: oauth');
    expect((await ana.post('/console/tenants/nobody/connect', { _csrf: csrf })).status).toBe(404);
  });
});
