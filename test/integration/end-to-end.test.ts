import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { captureIo } from '../support/capture-io.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const prefix = 'Hired Assessments';

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(() => world.close());

async function moveToTechnicalScreen(url: string, opportunityId: string, token?: string) {
  return world.lever.deliverWebhook({
    url: `${url}/webhooks/lever/acme`,
    event: 'candidateStageChange',
    data: { opportunityId, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
    signatureToken: world.env.ACME__TOKEN ?? '',
    ...(token ? { token } : {}),
  });
}

describe('end to end: Lever -> stagegate -> vendor -> stagegate -> Lever', () => {
  it('sends the test, tags Sent, and on completion adds the link and note and tags Pass', async () => {
    const candidate = world.lever.addOpportunity({
      name: 'Ada Lovelace',
      stageId: 'stage-tech',
      emails: ['ada@example.com'],
    });
    const server = await startStagegate(world.root, world.env);
    try {
      const first = await moveToTechnicalScreen(server.url, candidate.id, 'delivery-1');
      const again = await moveToTechnicalScreen(server.url, candidate.id, 'delivery-1'); // Lever redelivers
      expect([first.status, again.status]).toEqual([202, 200]);
      await server.idle();

      const sends = world.vendor.sends();
      expect(sends).toHaveLength(1);
      expect(sends[0]?.body).toMatchObject({
        partner_test_id: 'sandbox-python',
        candidate: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' },
      });
      expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);

      const callback = await world.vendor.complete(sends[0]?.partnerInterviewId ?? '', {
        score: 85,
        profileUrl: 'https://vendor.example/report/1',
      });
      expect(callback).toBe(202);
      await server.idle();
      await server.idle(); // the check after the callback runs in the background

      const after = world.lever.getOpportunity(candidate.id);
      expect(after?.tags).toEqual([`${prefix} - Pass`]);
      expect(after?.links).toContain('https://vendor.example/report/1');
      // Each note ends with the action it came from, so that a retry can tell it is there already.
      expect(world.lever.notes(candidate.id).map((note) => note.value)).toEqual([
        expect.stringMatching(
          /^Backend - Python completed\. Score: 85\. Report: https:\/\/vendor\.example\/report\/1\n\nSent by stagegate \(reference dec_[0-9a-f]{20}:\d+\)$/,
        ),
      ]);
      const [invitation] = await server.store.listInvitations({ tenant: 'acme' });
      expect(invitation).toMatchObject({ status: 'completed', score: 85 });
    } finally {
      await server.close();
    }
  });

  it('retries a vendor that answers 503 and 429 (not processed) three times, then succeeds, with no second invitation', async () => {
    const candidate = world.lever.addOpportunity({
      name: 'Grace Hopper',
      stageId: 'stage-tech',
      emails: ['grace@example.com'],
    });
    world.vendor.fault({ times: 1, status: 503, path: /send_test/ });
    world.vendor.fault({ times: 1, status: 429, path: /send_test/ });
    world.vendor.fault({ times: 1, status: 503, path: /send_test/ });
    const clock = createManualClock(Date.now());
    const server = await startStagegate(world.root, world.env, [], clock);
    try {
      await moveToTechnicalScreen(server.url, candidate.id);
      for (let i = 0; i < 4; i++) {
        await server.idle();
        clock.advance(10 * 60_000); // past the next retry
      }
      await server.idle();
      expect(world.vendor.requests.filter((r) => r.path === '/send_test').map((r) => r.status)).toEqual([
        503, 429, 503, 200,
      ]);
      expect(world.vendor.sends()).toHaveLength(1);
      expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);
    } finally {
      await server.close();
    }
  });

  // The defect of issue 10: a 5xx can come after the vendor (or its gateway) created the invitation.
  it.each([
    [502, { status: 502, acted: true }],
    [500, { status: 500, acted: true }],
    [504, { status: 504, acted: true }],
    ['a dropped connection', { lostAnswer: true }],
  ] as const)(
    'a vendor that creates the invitation, then answers %s, is not sent a second one: the send fails in doubt',
    async (_what, fault) => {
      const candidate = world.lever.addOpportunity({
        name: 'Katherine Johnson',
        stageId: 'stage-tech',
        emails: ['katherine@example.com'],
      });
      world.vendor.fault({ times: 1, path: /send_test/, ...fault });
      const clock = createManualClock(Date.now());
      const server = await startStagegate(world.root, world.env, [], clock);
      try {
        await moveToTechnicalScreen(server.url, candidate.id);
        for (let i = 0; i < 4; i++) {
          await server.idle();
          clock.advance(10 * 60_000); // past any retry
        }
        await server.idle();

        expect(world.vendor.sends()).toHaveLength(1);
        expect(world.vendor.requests.filter((r) => r.path === '/send_test')).toHaveLength(1);
        const [send] = await server.store.listActions({ tenant: 'acme', opportunityId: candidate.id });
        if (send === undefined) throw new Error('no send was decided');
        const commands = [
          `stagegate actions retry ${send.id} --at-vendor <vendor invitation id>`,
          `stagegate actions retry ${send.id} --not-at-vendor`,
        ];
        expect(send).toMatchObject({ status: 'failed', attempts: 1, failureClass: 'in-doubt' });
        expect(send.lastError).toMatch(/^stagegate cannot tell whether the vendor received the invitation/);
        for (const command of commands) expect(send.lastError).toContain(command);
        expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Error`]);
        const notes = world.lever.notes(candidate.id).map((note) => note.value);
        expect(notes).toHaveLength(1);
        for (const command of commands) expect(notes[0]).toContain(command);
        const [invitation] = await server.store.listInvitations({ tenant: 'acme' });
        expect(invitation?.status).toBe('sending');
      } finally {
        await server.close();
      }
    },
  );

  it('shows a permanent vendor failure on the candidate: Error tag and a note saying why', async () => {
    const candidate = world.lever.addOpportunity({
      name: 'No Mail',
      stageId: 'stage-tech',
      emails: ['not-an-email@'],
    });
    world.vendor.fault({ times: 1, status: 400, errors: ['invalid email'], path: /send_test/ });
    const server = await startStagegate(world.root, world.env);
    try {
      await moveToTechnicalScreen(server.url, candidate.id);
      await server.idle();
      expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Error`]);
      expect(world.lever.notes(candidate.id)[0]?.value).toMatch(
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
    const candidate = world.lever.addOpportunity({
      name: 'Alan Turing',
      stageId: 'stage-tech',
      emails: ['alan@example.com'],
    });
    // Callbacks go to a closed port: the vendor's PATCH never arrives.
    const server = await startStagegate(world.root, {
      ...world.env,
      STAGEGATE_PUBLIC_URL: 'http://127.0.0.1:9',
    });
    try {
      await moveToTechnicalScreen(server.url, candidate.id);
      await server.idle();
      const [send] = world.vendor.sends();
      // The vendor's PATCH fails (nothing listens there); the result waits at the vendor.
      await world.vendor
        .complete(send?.partnerInterviewId ?? '', {
          score: 20,
          profileUrl: 'https://vendor.example/report/2',
        })
        .catch(() => 0);
      expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);
      expect(await server.pipeline.poll()).toEqual({ checked: 1, completed: 1 });
      await server.idle();
      expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Fail`]);
      expect(await server.pipeline.poll()).toEqual({ checked: 0, completed: 0 });
    } finally {
      await server.close();
    }
  });

  it('rides out Lever rate limiting', async () => {
    const candidate = world.lever.addOpportunity({
      name: 'Rate Limited',
      stageId: 'stage-tech',
      emails: ['r@example.com'],
    });
    world.lever.fault({ times: 2, status: 429, retryAfter: 1 });
    const server = await startStagegate(world.root, world.env);
    try {
      await moveToTechnicalScreen(server.url, candidate.id);
      await server.idle();
      expect(world.lever.requests.filter((r) => r.status === 429)).toHaveLength(2);
      expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);
    } finally {
      await server.close();
    }
  });

  it('backfills candidates already in a trigger stage, once, through the CLI and the admin API', async () => {
    const waiting = [1, 2, 3].map((i) =>
      world.lever.addOpportunity({
        name: `Waiting ${i}`,
        stageId: 'stage-tech',
        emails: [`w${i}@example.com`],
      }),
    );
    world.lever.addOpportunity({ name: 'Elsewhere', stageId: 'stage-phone', emails: ['e@example.com'] });
    const server = await startStagegate(world.root, {
      ...world.env,
      STAGEGATE_ADMIN_TOKEN: 'admin-e2e-token-long-enough-to-be-accepted',
    });
    try {
      const cliEnv = {
        STAGEGATE_URL: server.url,
        STAGEGATE_ADMIN_TOKEN: 'admin-e2e-token-long-enough-to-be-accepted',
      };
      const dry = captureIo({ cwd: world.root, env: cliEnv });
      expect(await runCli(['backfill', '--tenant', 'acme', '--dry-run'], dry)).toBe(0);
      await server.idle();
      expect(world.vendor.sends()).toHaveLength(0);

      expect(
        await runCli(['backfill', '--tenant', 'acme'], captureIo({ cwd: world.root, env: cliEnv })),
      ).toBe(0);
      await server.idle();
      expect(world.vendor.sends()).toHaveLength(3);
      for (const candidate of waiting) {
        expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual([`${prefix} - Sent`]);
      }

      expect(
        await runCli(['backfill', '--tenant', 'acme'], captureIo({ cwd: world.root, env: cliEnv })),
      ).toBe(0);
      await server.idle();
      expect(world.vendor.sends()).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it('answers 404 to a callback with a wrong token', async () => {
    const server = await startStagegate(world.root, world.env);
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
