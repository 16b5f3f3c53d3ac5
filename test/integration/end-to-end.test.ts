import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { captureIo } from '../support/capture-io.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { createWorkspace, partnerTenant, startStagegate } from '../support/start-stagegate.js';
import { startVendorSimulator, type VendorSimulator } from '../support/vendor-simulator.js';

const env = {
  ACME_LEVER_API_KEY: 'lever-key-e2e',
  ACME_TOKEN: 'webhook-token-e2e',
  ACME_VENDOR_KEY: 'vendor-key-e2e',
};
const prefix = 'Hired Assessments';

let lever: LeverSimulator;
let vendor: VendorSimulator;
let root: string;

beforeEach(async () => {
  lever = await startLeverSimulator({ apiKeys: [env.ACME_LEVER_API_KEY] });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  vendor = await startVendorSimulator({
    apiKeys: [env.ACME_VENDOR_KEY],
    tests: [
      { id: 'sandbox-python', name: 'Backend - Python' },
      { id: 'sandbox-react', name: 'Frontend - React' },
    ],
  });
  root = await createWorkspace({ acme: partnerTenant('acme', lever.baseUrl, vendor.baseUrl) });
});

afterEach(async () => {
  await Promise.all([lever.close(), vendor.close()]);
  await rm(root, { recursive: true, force: true });
});

async function moveToTechnicalScreen(url: string, opportunityId: string, token?: string) {
  return lever.deliverWebhook({
    url: `${url}/webhooks/lever/acme`,
    event: 'candidateStageChange',
    data: { opportunityId, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
    signatureToken: env.ACME_TOKEN,
    ...(token ? { token } : {}),
  });
}

describe('end to end: Lever -> stagegate -> vendor -> stagegate -> Lever', () => {
  it('sends the test, tags Sent, and on completion adds the link and note and tags Pass', async () => {
    const candidate = lever.addOpportunity({
      name: 'Ada Lovelace',
      stageId: 'stage-tech',
      emails: ['ada@example.com'],
    });
    const server = await startStagegate(root, env);
    try {
      const first = await moveToTechnicalScreen(server.url, candidate.id, 'delivery-1');
      const again = await moveToTechnicalScreen(server.url, candidate.id, 'delivery-1'); // Lever redelivers
      expect([first.status, again.status]).toEqual([202, 200]);
      await server.idle();

      const sends = vendor.sends();
      expect(sends).toHaveLength(1);
      expect(sends[0]?.body).toMatchObject({
        partner_test_id: 'sandbox-python',
        candidate: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' },
      });
      expect(lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);

      const callback = await vendor.complete(sends[0]?.partnerInterviewId ?? '', {
        score: 85,
        profileUrl: 'https://vendor.example/report/1',
      });
      expect(callback).toBe(202);
      await server.idle();
      await server.idle(); // the check after the callback runs in the background

      const after = lever.getOpportunity(candidate.id);
      expect(after?.tags).toEqual([`${prefix} - Pass`]);
      expect(after?.links).toContain('https://vendor.example/report/1');
      expect(lever.notes(candidate.id).map((note) => note.value)).toEqual([
        'Backend - Python completed. Score: 85. Report: https://vendor.example/report/1',
      ]);
      const [invitation] = await server.store.listInvitations({ tenant: 'acme' });
      expect(invitation).toMatchObject({ status: 'completed', score: 85 });
    } finally {
      await server.close();
    }
  });

  it('retries a vendor that answers 500 three times, then succeeds, with no second invitation', async () => {
    const candidate = lever.addOpportunity({
      name: 'Grace Hopper',
      stageId: 'stage-tech',
      emails: ['grace@example.com'],
    });
    vendor.fault({ times: 3, status: 500, path: /send_test/ });
    const clock = createManualClock(Date.now());
    const server = await startStagegate(root, env, [], clock);
    try {
      await moveToTechnicalScreen(server.url, candidate.id);
      for (let i = 0; i < 4; i++) {
        await server.idle();
        clock.advance(10 * 60_000); // past the next retry
      }
      await server.idle();
      expect(vendor.requests.filter((r) => r.path === '/send_test').map((r) => r.status)).toEqual([
        500, 500, 500, 200,
      ]);
      expect(vendor.sends()).toHaveLength(1);
      expect(lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);
    } finally {
      await server.close();
    }
  });

  it('shows a permanent vendor failure on the candidate: Error tag and a note saying why', async () => {
    const candidate = lever.addOpportunity({
      name: 'No Mail',
      stageId: 'stage-tech',
      emails: ['not-an-email@'],
    });
    vendor.fault({ times: 1, status: 400, errors: ['invalid email'], path: /send_test/ });
    const server = await startStagegate(root, env);
    try {
      await moveToTechnicalScreen(server.url, candidate.id);
      await server.idle();
      expect(lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Error`]);
      expect(lever.notes(candidate.id)[0]?.value).toMatch(
        /^stagegate could not send the assessment Backend - Python: .*invalid email/,
      );
      const failed = await server.store.listActions({ tenant: 'acme', status: 'failed' });
      expect(failed.map((a) => (a.action as { type: string }).type)).toEqual([
        'assessment.send',
        'lever.addTags',
      ]);
      expect(failed[0]?.lastError).toMatch(/invalid email/);
    } finally {
      await server.close();
    }
  });

  it('catches a missed callback with the poller', async () => {
    const candidate = lever.addOpportunity({
      name: 'Alan Turing',
      stageId: 'stage-tech',
      emails: ['alan@example.com'],
    });
    // Callbacks go to a closed port: the vendor's PATCH never arrives.
    const server = await startStagegate(root, { ...env, STAGEGATE_PUBLIC_URL: 'http://127.0.0.1:9' });
    try {
      await moveToTechnicalScreen(server.url, candidate.id);
      await server.idle();
      const [send] = vendor.sends();
      // The vendor's PATCH fails (nothing listens there); the result waits at the vendor.
      await vendor
        .complete(send?.partnerInterviewId ?? '', {
          score: 20,
          profileUrl: 'https://vendor.example/report/2',
        })
        .catch(() => 0);
      expect(lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);
      expect(await server.pipeline.poll()).toEqual({ checked: 1, completed: 1 });
      await server.idle();
      expect(lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Fail`]);
      expect(await server.pipeline.poll()).toEqual({ checked: 0, completed: 0 });
    } finally {
      await server.close();
    }
  });

  it('rides out Lever rate limiting', async () => {
    const candidate = lever.addOpportunity({
      name: 'Rate Limited',
      stageId: 'stage-tech',
      emails: ['r@example.com'],
    });
    lever.fault({ times: 2, status: 429, retryAfter: 1 });
    const server = await startStagegate(root, env);
    try {
      await moveToTechnicalScreen(server.url, candidate.id);
      await server.idle();
      expect(lever.requests.filter((r) => r.status === 429)).toHaveLength(2);
      expect(lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);
    } finally {
      await server.close();
    }
  });

  it('backfills candidates already in a trigger stage, once, through the CLI and the admin API', async () => {
    const waiting = [1, 2, 3].map((i) =>
      lever.addOpportunity({ name: `Waiting ${i}`, stageId: 'stage-tech', emails: [`w${i}@example.com`] }),
    );
    lever.addOpportunity({ name: 'Elsewhere', stageId: 'stage-phone', emails: ['e@example.com'] });
    const server = await startStagegate(root, { ...env, STAGEGATE_ADMIN_TOKEN: 'admin-e2e' });
    try {
      const cliEnv = { STAGEGATE_URL: server.url, STAGEGATE_ADMIN_TOKEN: 'admin-e2e' };
      const dry = captureIo({ cwd: root, env: cliEnv });
      expect(await runCli(['backfill', '--tenant', 'acme', '--dry-run'], dry)).toBe(0);
      await server.idle();
      expect(vendor.sends()).toHaveLength(0);

      expect(await runCli(['backfill', '--tenant', 'acme'], captureIo({ cwd: root, env: cliEnv }))).toBe(0);
      await server.idle();
      expect(vendor.sends()).toHaveLength(3);
      for (const candidate of waiting) {
        expect(lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);
      }

      expect(await runCli(['backfill', '--tenant', 'acme'], captureIo({ cwd: root, env: cliEnv }))).toBe(0);
      await server.idle();
      expect(vendor.sends()).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it('answers 404 to a callback with a wrong token', async () => {
    const server = await startStagegate(root, env);
    try {
      const response = await fetch(`${server.url}/callbacks/assessments/acme/inv_123/${'0'.repeat(40)}`, {
        method: 'PATCH',
      });
      expect(response.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
