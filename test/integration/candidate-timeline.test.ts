import { afterEach, describe, expect, it } from 'vitest';
import type { CandidateTimeline } from '../../src/admin/candidate-timeline.js';
import { runCli } from '../../src/cli/main.js';
import type { LiveExplanation } from '../../src/run/create-live-explain.js';
import type { Store } from '../../src/store/types.js';
import { post } from '../reliability/world.js';
import { captureIo } from '../support/capture-io.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const adminToken = 'admin-token-timeline-0123456789abcdef01234';
const adaEmail = 'Ada.Lovelace@Example.com';
let world: World | undefined;
let closeServer: (() => Promise<void>) | undefined;

afterEach(async () => {
  await closeServer?.();
  closeServer = undefined;
  await world?.close();
  world = undefined;
});

/** acme on the strict Lever simulator and the partner vendor, the real server, and the CLI against it. */
async function startService() {
  const started = await startWorld(['acme']);
  world = started;
  const server = await startStagegate(world.root, { ...world.env, STAGEGATE_ADMIN_TOKEN: adminToken });
  closeServer = () => server.close();
  const env = { STAGEGATE_URL: server.url, STAGEGATE_ADMIN_TOKEN: adminToken };
  const root = world.root;
  const cli = async (argv: string[]) => {
    const io = captureIo({ cwd: root, env });
    const code = await runCli(argv, io);
    return { code, out: io.out(), err: io.err() };
  };
  const admin = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const deliver = async (opportunityId: string, kind: 'stage' | 'hired' = 'stage') => {
    const delivery = { token: `${kind}-${opportunityId}`, kind, opportunityId, triggeredAt: Date.now() };
    expect(await post(started.lever, server.url, 'acme', delivery)).toBe(202);
    await server.idle();
  };
  return { world: started, server, cli, admin, deliver };
}

/** Everything the store holds for acme: the same before and after a call that must write nothing. */
async function snapshot(store: Store) {
  return {
    inbox: await store.listInbox({ tenant: 'acme' }),
    decisions: await store.listDecisions({ tenant: 'acme' }),
    actions: await store.listActions({ tenant: 'acme' }),
    invitations: await store.listInvitations({ tenant: 'acme' }),
  };
}

describe('stagegate candidate: the timeline of a candidate', () => {
  it('tells the story of a send in doubt, found by opportunity id or by e-mail in any case', async () => {
    const { world, cli, admin, deliver } = await startService();
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech', emails: [adaEmail] });
    world.lever.addOpportunity({ id: 'opp-2', stageId: 'stage-tech', emails: ['grace@example.com'] });
    world.vendor.fault({ path: /send_test/, status: 502, times: 1 });
    await deliver('opp-1');
    await deliver('opp-2');

    const story = await cli(['candidate', '--tenant', 'acme', 'opp-1']);

    expect(story).toMatchObject({ code: 0, err: '' });
    const lines = story.out.trimEnd().split('\n');
    expect(lines[0]).toBe('candidate opp-1  tenant acme');
    const time = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d';
    expect(lines[1]).toMatch(new RegExp(`^${time}  delivery candidateStageChange  decided$`));
    expect(lines[2]).toMatch(
      new RegExp(`^${time}  decision \\S+ fired send-selected-test: .+\\(config [0-9a-f]+\\)$`),
    );
    const send = lines.find((line) => line.includes('action assessment.send'));
    expect(send).toMatch(
      /action assessment\.send {2}failed \(in-doubt\): .+ {2}→ check at the vendor, then stagegate actions retry \S+:0 --not-at-vendor/,
    );
    // Every line after the heading starts with its time, in time order.
    const times = lines.slice(1).map((line) => line.slice(0, 19));
    expect(times.every((at) => new RegExp(`^${time}$`).test(at))).toBe(true);
    expect([...times].sort()).toEqual(times);

    const json = await cli(['candidate', '--tenant', 'acme', 'opp-1', '--json']);
    const timeline = JSON.parse(json.out) as CandidateTimeline;
    expect(timeline.entries.slice(0, 2).map((entry) => entry.kind)).toEqual(['delivery', 'decision']);
    expect(
      timeline.entries.find((entry) => entry.kind === 'action' && entry.type === 'assessment.send'),
    ).toMatchObject({ status: 'failed', failureClass: 'in-doubt', attempts: 1 });
    const decision = timeline.entries.find((entry) => entry.kind === 'decision');
    expect(decision).toMatchObject({ event: 'candidateStageChange', fired: ['send-selected-test'] });

    // Lever's e-mail was Ada.Lovelace@Example.com; support types it however they like.
    const byEmail = await cli(['candidate', '--tenant', 'acme', '  ada.lovelace@EXAMPLE.com ']);
    expect(byEmail).toMatchObject({ code: 0, out: story.out });
    expect(
      (await admin('GET', `/tenants/acme/candidates?email=${encodeURIComponent(adaEmail)}`)).body,
    ).toMatchObject({ tenant: 'acme', opportunityIds: ['opp-1'], timeline: { opportunityId: 'opp-1' } });
    // The other candidate's story is their own.
    const grace = await cli(['candidate', '--tenant', 'acme', 'grace@example.com', '--json']);
    expect((JSON.parse(grace.out) as CandidateTimeline).opportunityId).toBe('opp-2');

    const unknown = await cli(['candidate', '--tenant', 'acme', 'opp-404']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('tenant acme has no record of opportunity opp-404');
    const nobody = await cli(['candidate', '--tenant', 'acme', 'nobody@example.com']);
    expect(nobody.code).toBe(1);
    expect(nobody.err).toContain('no candidate with the e-mail nobody@example.com');
    // Another tenant's path sees nothing of acme's.
    expect((await admin('GET', '/tenants/globex/candidates/opp-1')).status).toBe(404);
    expect((await admin('GET', '/tenants/acme/candidates')).status).toBe(400);
  });

  it('finds a candidate purged after a candidateDeleted by neither opportunity id nor e-mail', async () => {
    const { world, server, cli, admin, deliver } = await startService();
    world.lever.addOpportunity({ id: 'opp-3', stageId: 'stage-tech', emails: [adaEmail] });
    await deliver('opp-3');
    expect((await cli(['candidate', '--tenant', 'acme', adaEmail])).code).toBe(0);
    expect((await server.store.listInvitations({ tenant: 'acme' })).map((i) => i.status)).toEqual(['sent']);

    world.lever.deleteOpportunity('opp-3');
    const deleted = await world.lever.deliverWebhook({
      url: `${server.url}/webhooks/lever/acme`,
      event: 'candidateDeleted',
      data: { opportunityId: 'opp-3', contactId: 'contact-opp-3' },
      signatureToken: world.env.ACME__TOKEN ?? '',
      token: 'deleted-opp-3',
      triggeredAt: Date.now(),
    });
    expect(deleted.status).toBe(202);
    await server.idle();
    expect(await server.store.getTombstone('acme', 'opp-3')).toBeDefined();

    const byId = await cli(['candidate', '--tenant', 'acme', 'opp-3']);
    expect(byId.code).toBe(1);
    expect(byId.err).toContain('opportunity opp-3 of tenant acme was purged at');
    const byEmail = await cli(['candidate', '--tenant', 'acme', adaEmail]);
    expect(byEmail.code).toBe(1);
    expect(
      (await admin('GET', `/tenants/acme/candidates?email=${encodeURIComponent(adaEmail)}`)).body,
    ).toEqual({ tenant: 'acme', opportunityIds: [] });
  });
});

describe('stagegate explain --opportunity: what the rules would do now, live from Lever', () => {
  it('reads the candidate from Lever only, writes nothing, runs no action, and shows the trace', async () => {
    const { world, server, cli, admin, deliver } = await startService();
    world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech' });
    world.lever.addOpportunity({ id: 'opp-4', stageId: 'stage-tech', emails: [adaEmail] });
    world.lever.addOpportunity({ id: 'opp-5', stageId: 'stage-phone' });
    await deliver('opp-1');
    const before = await snapshot(server.store);
    world.lever.clearRequests();
    const sendsBefore = world.vendor.sends().length;

    const live = await cli(['explain', '--tenant', 'acme', '--opportunity', 'opp-4']);

    expect(live).toMatchObject({ code: 0, err: '' });
    expect(live.out).toContain(
      'live: opportunity opp-4 of tenant acme as Lever has it now, for candidateStageChange',
    );
    expect(live.out).toContain('nothing was written, no action ran');
    expect(live.out).toMatch(/"type":"assessment\.send","test":"Backend - Python"/);
    // The trace of every rule, each with its YAML position.
    expect(live.out).toMatch(
      /✓ send-selected-test \(priority \d+\) {2}\S+assessment-lifecycle\.yaml:\d+:\d+/,
    );

    const hired = await cli([
      'explain',
      '--tenant',
      'acme',
      '--opportunity',
      'opp-4',
      '--event',
      'candidateHired',
      '--json',
    ]);
    expect(hired.code).toBe(0);
    const explanation = JSON.parse(hired.out) as LiveExplanation;
    expect(explanation).toMatchObject({ tenant: 'acme', opportunityId: 'opp-4', event: 'candidateHired' });
    expect(
      'decision' in explanation && explanation.decision.actions.some((a) => a.type === 'assessment.send'),
    ).toBe(false);
    // A candidate in a stage that is not a trigger: nothing would be sent, and the trace says why.
    const notTrigger = await cli(['explain', '--tenant', 'acme', '--opportunity', 'opp-5', '--json']);
    const phone = JSON.parse(notTrigger.out) as LiveExplanation;
    expect('decision' in phone && phone.decision.fired.map((rule) => rule.name)).toEqual([
      'not-a-trigger-stage',
    ]);
    // Gone from Lever: skipped before any rule, and said so.
    const gone = await cli(['explain', '--tenant', 'acme', '--opportunity', 'opp-404']);
    expect(gone.code).toBe(0);
    expect(gone.out).toContain(
      'the event would be skipped, no rule would run: Lever has no opportunity opp-404',
    );

    const bogus = await cli([
      'explain',
      '--tenant',
      'acme',
      '--opportunity',
      'opp-4',
      '--event',
      'candidateMoved',
    ]);
    expect(bogus.code).toBe(2);
    expect(bogus.err).toContain("unknown event type 'candidateMoved'");
    expect(bogus.err).toContain('candidateStageChange');
    const refused = await admin('POST', '/tenants/acme/explain', {
      opportunityId: 'opp-4',
      event: 'assessmentCompleted',
    });
    expect(refused).toMatchObject({ status: 400, body: { error: 'BAD_JSON' } });
    expect(refused.body.message).toContain('unknown event type "assessmentCompleted"');
    expect((await admin('POST', '/tenants/acme/explain', { opportunity: 'opp-4' })).status).toBe(400);
    expect((await admin('POST', '/tenants/globex/explain', { opportunityId: 'opp-4' })).status).toBe(404);
    expect((await cli(['explain', '--opportunity', 'opp-4'])).code).toBe(2);

    await server.idle();
    expect(await snapshot(server.store)).toEqual(before);
    expect(world.lever.requests.length).toBeGreaterThan(0);
    expect(world.lever.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    expect(world.vendor.sends()).toHaveLength(sendsBefore);
  });
});
