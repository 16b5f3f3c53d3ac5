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
