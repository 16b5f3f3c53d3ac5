import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { Decision } from '../../src/decide/types.js';
import { captureIo } from '../support/capture-io.js';
import { signIn } from '../support/console-client.js';
import { partnerTenant, startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const adminToken = 'admin-token-completion-facts-long-enough';
let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Sends the default test to a new candidate, completes it at the vendor; the Lever calls after the result. */
async function sendThenComplete(w: World, score: number) {
  const candidate = w.lever.addOpportunity({
    stageId: 'stage-tech',
    emails: ['ada@example.com'],
    tags: ['VIP'],
  });
  const server = await startStagegate(w.root, { ...w.env, STAGEGATE_ADMIN_TOKEN: adminToken });
  await w.lever.deliverWebhook({
    url: `${server.url}/webhooks/lever/acme`,
    event: 'candidateStageChange',
    data: { opportunityId: candidate.id, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
    signatureToken: w.env.ACME__TOKEN ?? '',
  });
  await server.idle();
  const before = w.lever.requests.length;
  const [send] = w.vendor.sends();
  expect(await w.vendor.complete(send?.partnerInterviewId ?? '', { score })).toBe(202);
  for (let i = 0; i < 3; i++) await server.idle();
  const calls = w.lever.requests.slice(before).map((request) => `${request.method} ${request.path}`);
  const decisions = await server.store.listDecisions({ tenant: 'acme' });
  const completion = decisions
    .map((record) => ({ id: record.id, decision: record.decision as Decision }))
    .find((record) => record.decision.event.type === 'assessmentCompleted');
  if (completion === undefined) throw new Error('no completion was decided');
  return { server, candidate, calls, completion };
}

/** The console's page of the decision, as an operator (the admin token) sees it. */
async function consolePage(url: string, id: string): Promise<string> {
  const operator = await signIn(url, adminToken);
  return (await operator.get(`/console/decisions/${encodeURIComponent(id)}`)).text();
}

async function explain(url: string, root: string, id: string): Promise<string> {
  const io = captureIo({ cwd: root, env: { STAGEGATE_URL: url, STAGEGATE_ADMIN_TOKEN: adminToken } });
  expect(await runCli(['explain', '--decision', id], io)).toBe(0);
  return io.out();
}

describe('a completion reads the candidate from Lever only when a rule needs it', () => {
  it('the standard pack: no read, 4 calls; the decision says what was not read and replays the same', async () => {
    world = await startWorld(['acme']);
    const { server, candidate, calls, completion } = await sendThenComplete(world, 85);
    try {
      const opportunity = `/opportunities/${candidate.id}`;
      expect(calls.sort()).toEqual(
        [
          `POST ${opportunity}/addLinks`,
          `POST ${opportunity}/notes`,
          `POST ${opportunity}/addTags`,
          `POST ${opportunity}/removeTags`,
        ].sort(),
      );
      expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual(['VIP', 'Hired Assessments - Pass']);
      expect(completion.decision.unread).toContain('candidate');
      // The timeline still finds the completion by e-mail: it comes from the invitation.
      expect(completion.decision.facts.candidate.email).toBe('ada@example.com');
      const out = await explain(server.url, world.root, completion.id);
      expect(out).toContain('no rule read stage, candidate, selection, invitations.forSelectedTest, resend');
      expect(out).toMatch(/replayed with the tenant files here \(config [0-9a-f]{12}\): the same actions/);
      const page = await consolePage(server.url, completion.id);
      expect(page).toContain(
        'Not read by any rule: stage, candidate, selection, invitations.forSelectedTest, resend (not fetched; their values here are placeholders).',
      );
    } finally {
      await server.close();
    }
  });

  it('a rule on a candidate fact: one read, and the fact it read is recorded and replayed', async () => {
    world = await startWorld(['acme']);
    await writeFile(
      join(world.root, 'tenants', 'acme.yaml'),
      `${partnerTenant('acme', world.lever.baseUrl, world.vendor.baseUrl)}rules:
  - name: vip-result
    when:
      all:
        - { fact: event.type, operator: equal, value: assessmentCompleted }
        - { fact: candidate.tags, operator: contains, value: VIP }
    then:
      - { type: lever.addNote, text: "VIP result for \${candidate.name}" }
`,
    );
    const { server, candidate, calls, completion } = await sendThenComplete(world, 85);
    try {
      expect(calls.filter((call) => call === `GET /opportunities/${candidate.id}`)).toHaveLength(1);
      expect(completion.decision.unread).toBeUndefined();
      expect(completion.decision.facts.candidate.tags).toContain('VIP');
      expect(completion.decision.fired.map((rule) => rule.name)).toContain('vip-result');
      const out = await explain(server.url, world.root, completion.id);
      expect(out).toContain('candidate.tags contains "VIP" (fact was ["VIP","Hired Assessments - Sent"])');
      expect(await consolePage(server.url, completion.id)).not.toContain('Not read by any rule');
      expect(out).toMatch(/: the same actions/);
    } finally {
      await server.close();
    }
  });
});
