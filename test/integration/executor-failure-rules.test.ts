import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CandidateTimeline } from '../../src/admin/candidate-timeline.js';
import { runCli } from '../../src/cli/main.js';
import type { Decision } from '../../src/decide/types.js';
import { errorTag, post } from '../reliability/world.js';
import { captureIo } from '../support/capture-io.js';
import { signIn } from '../support/console-client.js';
import { partnerTenant, startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The tenant words its failure notes in German and tags them its own way. */
const ownFailureRules = `rules:
  - name: show-failure
    replaces: true
    when:
      all:
        - { fact: event.type, operator: equal, value: actionFailed }
    then:
      - { type: lever.addTags, tags: ["Bitte prüfen"] }
  - name: note-failed-send
    replaces: true
    when:
      all:
        - { fact: event.type, operator: equal, value: actionFailed }
        - { fact: failure.action, operator: equal, value: assessment.send }
    then:
      - { type: lever.addNote, text: "Der Test \${failure.subject} wurde nicht versandt (\${failure.class}): \${failure.reason}" }
`;

describe('executor: a failed action is shown on the candidate by the rules', () => {
  it('the standard pack: the Error tag and a note with the reference footer', async () => {
    world = await startWorld(['acme']);
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech', emails: ['a@example.com'] });
    world.vendor.fault({ path: /send_test/, status: 400, errors: ['test t-101 is paused'], times: 1 });
    const server = await startStagegate(world.root, world.env);
    try {
      const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: Date.now() };
      expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
      await server.idle();
      const [send] = await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' });
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual([errorTag]);
      const notes = world.lever.notes('opp-1').map((note) => note.value);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(/^stagegate could not send the assessment Backend - Python: .*paused/);
      expect(notes[0]).toContain(`Sent by stagegate (reference ${send?.id} failed)`);
    } finally {
      await server.close();
    }
  });

  it("a tenant's own rules replace the standard wording and tag", async () => {
    world = await startWorld(['acme']);
    await writeFile(
      join(world.root, 'tenants', 'acme.yaml'),
      `${partnerTenant('acme', world.lever.baseUrl, world.vendor.baseUrl)}${ownFailureRules}`,
    );
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech', emails: ['a@example.com'] });
    world.vendor.fault({ path: /send_test/, status: 400, errors: ['test t-101 is paused'], times: 1 });
    const server = await startStagegate(world.root, world.env);
    try {
      const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: Date.now() };
      expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
      await server.idle();
      const [send] = await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' });
      expect(send).toMatchObject({ status: 'failed', failureClass: 'final' });
      expect(send?.result).toMatchObject({
        failureShown: {
          decision: expect.stringMatching(/^dec_/),
          fired: ['show-failure', 'note-failed-send'],
          actions: [
            { type: 'lever.addTags', tags: ['Bitte prüfen'] },
            { type: 'lever.addNote', text: expect.stringMatching(/^Der Test Backend - Python/) },
          ],
        },
      });
      expect(world.lever.getOpportunity('opp-1')?.tags).toEqual(['Bitte prüfen']);
      const notes = world.lever.notes('opp-1').map((note) => note.value);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(/^Der Test Backend - Python wurde nicht versandt \(final\): .*paused/);
      expect(notes[0]).toContain(`Sent by stagegate (reference ${send?.id} failed)`);
    } finally {
      await server.close();
    }
  });

  it('stores the failure decision: explain --decision replays it, the timeline and the console show it', async () => {
    const operator = 'ana-token-faildec-0123456789abcdef0123456789';
    world = await startWorld(['acme']);
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech', emails: ['a@example.com'] });
    world.vendor.fault({ path: /send_test/, status: 400, errors: ['test t-101 is paused'], times: 1 });
    const server = await startStagegate(world.root, {
      ...world.env,
      STAGEGATE_ADMIN_TOKENS: `ana:${operator}`,
    });
    try {
      const delivery = { token: 'stage-1', kind: 'stage', opportunityId: 'opp-1', triggeredAt: Date.now() };
      expect(await post(world.lever, server.url, 'acme', delivery as never)).toBe(202);
      await server.idle();
      const [send] = await server.store.listActions({ tenant: 'acme', opportunityId: 'opp-1' });
      const shownId =
        (send?.result as { failureShown?: { decision: string } } | undefined)?.failureShown?.decision ?? '';
      const records = await server.store.listDecisions({ tenant: 'acme', opportunityId: 'opp-1' });
      expect(records.map((record) => record.id)).toEqual([send?.decisionId, shownId]);
      const stored = records[1];
      expect(stored).toMatchObject({
        tenant: 'acme',
        opportunityId: 'opp-1',
        inboxId: null,
        email: 'a@example.com',
      });
      const decision = stored?.decision as Decision;
      expect(decision).toMatchObject({
        event: { type: 'actionFailed', id: send?.id, opportunityId: 'opp-1' },
        failureOf: { action: send?.id, decision: send?.decisionId },
        fired: [{ name: 'show-failure' }, { name: 'note-failed-send' }],
        configVersion: expect.stringMatching(/^[0-9a-f]{12}$/),
      });
      expect(decision.facts.failure).toMatchObject({
        actionId: send?.id,
        action: 'assessment.send',
        class: 'final',
      });
      expect(decision.trace.length).toBeGreaterThan(0);
      // No outbox action of its own: it was carried out at once.
      const outbox = await server.store.listActions({ tenant: 'acme' });
      expect(outbox.filter((record) => record.decisionId !== send?.decisionId)).toEqual([]);

      const cliEnv = { STAGEGATE_URL: server.url, STAGEGATE_ADMIN_TOKEN: operator };
      const explain = captureIo({ cwd: world.root, env: cliEnv });
      expect(await runCli(['explain', '--decision', shownId], explain)).toBe(0);
      expect(explain.out()).toContain(`decision ${shownId}`);
      expect(explain.out()).toContain('event actionFailed');
      expect(explain.out()).toMatch(
        /replayed with the tenant files here \(config [0-9a-f]{12}\): the same actions/,
      );

      const story = captureIo({ cwd: world.root, env: cliEnv });
      expect(await runCli(['candidate', '--tenant', 'acme', 'opp-1'], story)).toBe(0);
      expect(story.out()).toContain(`decision ${shownId} fired show-failure, note-failed-send`);
      expect(story.out()).toContain(`(shows the failure of action ${send?.id})`);
      const json = captureIo({ cwd: world.root, env: cliEnv });
      expect(await runCli(['candidate', '--tenant', 'acme', 'opp-1', '--json'], json)).toBe(0);
      const timeline = JSON.parse(json.out()) as CandidateTimeline;
      expect(timeline.entries.find((entry) => entry.id === shownId)).toMatchObject({
        kind: 'decision',
        event: 'actionFailed',
        failureOf: { action: send?.id, decision: send?.decisionId },
      });

      // The console's week counts include the Error tag the failure decision gave.
      const week = await server.store.countActivity('acme', 0, [errorTag]);
      expect(week.tagged[errorTag]).toBe(1);
      const ana = await signIn(server.url, operator);
      const page = await (await ana.get(`/console/decisions/${encodeURIComponent(shownId)}`)).text();
      expect(page).toContain('event actionFailed');
      expect(page).toContain(`Shows the failure of action <code>${send?.id}</code>`);
      expect(page).toContain(`/console/decisions/${encodeURIComponent(send?.decisionId ?? '')}`);
      const candidate = await (await ana.get('/console/candidates?tenant=acme&q=opp-1')).text();
      expect(candidate).toContain(`shows the failure of action ${send?.id}`);
      expect(candidate).toContain(`/console/decisions/${encodeURIComponent(shownId)}`);
    } finally {
      await server.close();
    }
  });
});
