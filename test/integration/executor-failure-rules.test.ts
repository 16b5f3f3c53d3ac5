import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorTag, post } from '../reliability/world.js';
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
});
