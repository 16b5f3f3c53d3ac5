import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkspace, partnerTenant, startStagegate } from '../support/start-stagegate.js';

let root: string | undefined;
let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  await close?.();
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
  close = undefined;
});

describe('the start-up line for a tenant that is not served', () => {
  it('names an invalid tenant for its error first, then the secrets it also lacks', async () => {
    // No secret set, and a vendor host the operator has not allowed: the host is why it is invalid.
    root = await createWorkspace({
      zeta: partnerTenant('zeta', 'https://api.lever.co/v1', 'https://vendor.unlisted.example/partner'),
    });
    const server = await startStagegate(root, {});
    close = () => server.close();
    const line = server.lines
      .map((text) => JSON.parse(text) as { tenant?: string; msg?: string })
      .find((entry) => entry.tenant === 'zeta' && entry.msg?.startsWith('tenant zeta is invalid'));
    expect(line?.msg).toMatch(
      /^tenant zeta is invalid: .*zeta\.yaml:\d+:\d+: .*vendor\.unlisted\.example.*\[host-not-allowed\].*; the environment variable ZETA__LEVER_API_KEY is not set/s,
    );
  });
});

describe('log lines for a person at a terminal, and the shutdown lines', () => {
  it('writes readable lines with STAGEGATE_LOG_FORMAT=pretty, and says when it stops', async () => {
    root = await createWorkspace({});
    const server = await startStagegate(root, { STAGEGATE_LOG_FORMAT: 'pretty', LOG_LEVEL: 'info' });
    await server.close('SIGTERM');
    const listening = server.lines.find((line) => line.includes('stagegate listening on')) ?? '';
    expect(listening).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: stagegate listening on http:\/\/127\.0\.0\.1:\d+ \{"url":"http:\/\/127\.0\.0\.1:\d+"\}$/,
    );
    expect(server.lines.at(-2)).toMatch(
      /^\[[\d:.]+\] INFO: stagegate stopping \(SIGTERM\): finishing the Lever and vendor calls in flight/,
    );
    expect(server.lines.at(-1)).toMatch(/^\[[\d:.]+\] INFO: stagegate stopped/);
    // No colour codes: this is not a terminal.
    expect(server.lines.join('\n')).not.toContain('\u001b[');
  });

  it('writes JSON lines otherwise, the shutdown lines among them', async () => {
    root = await createWorkspace({});
    const server = await startStagegate(root, { LOG_LEVEL: 'info' });
    await server.close('SIGINT');
    const entries = server.lines.map((line) => JSON.parse(line) as { msg: string; reason?: string });
    expect(entries.at(-2)).toMatchObject({
      reason: 'SIGINT',
      msg: expect.stringMatching(/^stagegate stopping \(SIGINT\)/),
    });
    expect(entries.at(-1)).toMatchObject({ reason: 'SIGINT', msg: 'stagegate stopped' });
  });

  it('refuses an unknown STAGEGATE_LOG_FORMAT at start, naming it', async () => {
    root = await createWorkspace({});
    await expect(startStagegate(root, { STAGEGATE_LOG_FORMAT: 'text' })).rejects.toThrow(
      /STAGEGATE_LOG_FORMAT must be json, pretty or auto, got "text"/,
    );
  });
});
