// `npm run screenshots`: the console's pages, each as docs/console/<page>.png for docs/console.md. The
// world is the browser tests' (test/support/console-world.ts): real decisions by the real rules, a
// held candidate, a dead letter, an in-doubt send. Run it after a change to the console's pages.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { operatorTokens, startConsoleWorld } from '../test/support/console-world.js';
import { launchChromium } from '../test/support/launch-chromium.js';

const out = resolve(import.meta.dirname, '../docs/console');
await mkdir(out, { recursive: true });
const world = await startConsoleWorld();
const browser = await launchChromium();
try {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const shoot = async (name: string) => {
    await page.screenshot({ path: resolve(out, `${name}.png`), fullPage: true });
    console.log(`docs/console/${name}.png`);
  };
  await page.goto(`${world.url}/console/login`);
  await shoot('sign-in');
  await page.getByLabel('Operator token').fill(operatorTokens.ana);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${world.url}/console`);
  await shoot('tenants');
  await page.goto(`${world.url}/console/tenants/acme`);
  await shoot('tenant');
  await page.goto(`${world.url}/console/candidates?tenant=acme&q=held.candidate%40example.com`);
  await shoot('candidate');
  await page.goto(`${world.url}/console/decisions/${world.ids.heldDecision}`);
  await shoot('decision');
  await page.goto(`${world.url}/console/playground?tenant=acme`);
  const yaml = page.getByLabel(/Tenant YAML/);
  await page.locator('#playground-status', { hasText: 'fired' }).waitFor();
  await shoot('playground');
  await yaml.press('Control+End');
  await page.keyboard.type('triggerz: []');
  await page.locator('ol.diagnostics').waitFor();
  await shoot('playground-diagnostic');
} finally {
  await browser.close();
  await world.close();
}
