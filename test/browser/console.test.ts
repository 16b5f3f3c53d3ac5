// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's Locator.innerText (the text a person sees), not the DOM property
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleWorld,
  oauthApp,
  oauthEnv,
  oauthTenant,
  operatorTokens,
  startConsoleWorld,
} from '../support/console-world.js';
import { launchChromium } from '../support/launch-chromium.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';

// The console in a real browser (Debian's Chromium, driven by playwright-core): the flows an account
// manager or support person goes through, by label and by keyboard where a person would.
describe('the console in Chromium', () => {
  let world: ConsoleWorld;
  let lever: LeverSimulator;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    lever = await startLeverSimulator({ apiKeys: [], oauth: oauthApp, rateLimit: false });
    [world, browser] = await Promise.all([
      startConsoleWorld(oauthEnv(lever), { tenants: { globex: oauthTenant('globex', lever) } }),
      launchChromium(),
    ]);
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    // A CSP violation or a script error fails the suite: the page must work as served.
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
    await lever?.close();
    expect(errors).toEqual([]);
  });

  it('signs in with an operator token', async () => {
    await page.goto(`${world.url}/console`);
    await expect.poll(() => page.url()).toBe(`${world.url}/console/login`);
    await page.getByLabel('Operator token').fill(operatorTokens.ana);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${world.url}/console`);
    expect(await page.locator('header').innerText()).toContain('Signed in as ana');
    expect(await page.locator('table tbody tr').count()).toBe(3);
  });

  it('finds a held candidate by e-mail and says why no test was sent', async () => {
    await page.getByLabel('Tenant', { exact: true }).selectOption('acme');
    await page.getByLabel('Opportunity id or e-mail').fill('Held.Candidate@example.com');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/candidates\?/);
    const why = await page.locator('#why').innerText();
    expect(why).toContain('held: several test tags (Backend - Python, Frontend - React)');
    expect(await page.locator('h2').first().innerText()).toContain('opp-held');
  });

  it('opens the decision and draws its trace as a tree, each comparison with its YAML position', async () => {
    await page.getByRole('link', { name: 'Open the decision and its trace' }).click();
    await page.waitForURL(new RegExp(`/console/decisions/${world.ids.heldDecision}$`));
    const fired = page.locator('ul.trace > li', { hasText: 'hold-several-test-tags' });
    expect(await fired.locator('> .pos').innerText()).toMatch(/assessment-lifecycle\.yaml:\d+:\d+$/);
    const leaves = fired.locator('ul ul li');
    expect(await leaves.count()).toBeGreaterThanOrEqual(4);
    const leaf = await leaves.filter({ hasText: 'selection.held' }).first().innerText();
    expect(leaf).toMatch(
      /selection\.held equal true\s+\(fact was true\)\s*.*assessment-lifecycle\.yaml:\d+:\d+/,
    );
  });

  it('retries a dead letter from the tenant page, and the log says who', async () => {
    await page.goto(`${world.url}/console/tenants/acme`);
    await page.getByRole('button', { name: `Retry ${world.ids.deadLetter}` }).click();
    await page.waitForURL(/done=retried/);
    expect(await page.locator('.notice').innerText()).toContain(
      `Action ${world.ids.deadLetter} was put back to be tried again now (by ana)`,
    );
    expect((await world.server.store.getAction(world.ids.deadLetter))?.attempts).toBeLessThan(5);
    const line = world.server.lines.find(
      (l) => l.includes('retried action') && l.includes(world.ids.deadLetter),
    );
    expect(line).toContain('"operator":"ana"');
    expect(await page.getByRole('button', { name: `Retry ${world.ids.deadLetter}` }).count()).toBe(0);
  });

  it('the playground decides as you type and puts a diagnostic at its line', async () => {
    await page.goto(`${world.url}/console/playground?tenant=acme`);
    const status = page.locator('#playground-status');
    await expect.poll(() => status.innerText()).toContain('fired: send-selected-test');
    const yaml = page.getByLabel(/Tenant YAML/);
    const text = await yaml.inputValue();
    expect(text.endsWith('\n')).toBe(true);
    // A typo'd key on the line after the file's last one, typed as a person would.
    await yaml.press('Control+End');
    await page.keyboard.type('triggerz: []');
    const wanted = text.split('\n').length;
    const diagnostic = page.getByRole('button', { name: `line ${wanted}, col 1` });
    await diagnostic.waitFor();
    expect(await page.locator('ol.diagnostics li').first().innerText()).toContain('[unknown-key]');
    await diagnostic.click();
    // The page's textarea (no DOM types here: the test code is type-checked for Node).
    const selected = await yaml.evaluate((node) => {
      const area = node as unknown as { value: string; selectionStart: number; selectionEnd: number };
      return area.value.slice(area.selectionStart, area.selectionEnd);
    });
    expect(selected).toBe('triggerz: []');
  });

  it('connects a tenant on OAuth in two clicks: Connect, then Lever’s consent, and back to Connected', async () => {
    // Lever sends the browser to the registered redirect URI (a public name): here, the service itself.
    await page.route(`${new URL(oauthApp.redirectUri).origin}/**`, (route) => {
      const back = new URL(route.request().url());
      return route.fulfill({
        status: 302,
        headers: { location: `${world.url}${back.pathname}${back.search}` },
      });
    });
    await page.goto(`${world.url}/console/tenants/globex`);
    expect(await page.locator('main').innerText()).toContain('Not connected');
    const consent = page.waitForRequest((request) => request.url().startsWith(lever.authorizeUrl));
    await page.getByRole('button', { name: 'Connect to Lever' }).click();
    // The simulated Super Admin consents at once (a 302 with the code): the browser was at the consent page.
    expect(new URL((await consent).url()).searchParams.get('state')).toMatch(/^globex\./);
    await page.waitForURL(/\/oauth\/lever\/callback\?/);
    expect(await page.locator('body').innerText()).toContain('Connected');
    await page.goto(`${world.url}/console/tenants/globex`);
    expect(await page.locator('main').innerText()).toContain('Connected with OAuth since');
    expect(await page.getByRole('button', { name: 'Reconnect to Lever' }).count()).toBe(1);
  });
});
