/**
 * stagegate against a Lever that behaves as its documentation says (the strict simulator): the
 * expand encoding, a posting Lever will not return, and a candidateDeleted Lever does not confirm.
 */
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decide/types.js';
import type { RunningServer } from '../../src/main.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { createWorkspace, sandboxTenant, startStagegate } from '../support/start-stagegate.js';

const apiKey = 'acme-lever-key-for-tests';
const token = 'acme-webhook-token-for-tests';
const env = { ACME__LEVER_API_KEY: apiKey, ACME__TOKEN: token };

/** The sandbox tenant, plus a posting that names a test and a trigger stage without a default test. */
function tenantFile(leverUrl: string): string {
  return sandboxTenant('acme', leverUrl).replace(
    'triggers:\n  - stage: Technical Screen\n    defaultTest: "Backend - Python"\n',
    `triggers:
  - stage: Technical Screen
    defaultTest: "Backend - Python"
  - stage: Take-home
selection:
  precedence: [candidateTag, posting, stageDefault]
  postings:
    "Senior Frontend Engineer": "Frontend - React"
`,
  );
}

let lever: LeverSimulator;
let root: string;
let server: RunningServer & { lines: string[] };

beforeEach(async () => {
  lever = await startLeverSimulator({ apiKeys: [apiKey], rateLimit: false });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  lever.addStage({ id: 'stage-home', text: 'Take-home' });
  lever.addPosting({ id: 'posting-fe', text: 'Senior Frontend Engineer' });
  root = await createWorkspace({ acme: tenantFile(lever.baseUrl) });
  server = await startStagegate(root, env);
});

afterEach(async () => {
  await server.close();
  await lever.close();
  await rm(root, { recursive: true, force: true });
});

async function deliver(event: string, data: Record<string, unknown>): Promise<string> {
  const answer = await lever.deliverWebhook({
    url: `${server.url}/webhooks/lever/acme`,
    event,
    data,
    signatureToken: token,
  });
  expect(answer.status).toBe(202);
  await server.idle();
  return (answer.body as { id: string }).id;
}

async function decisionsOf(opportunityId: string): Promise<Decision[]> {
  const records = await server.store.listDecisions({ tenant: 'acme', opportunityId });
  return records.sort((a, b) => a.createdAt - b.createdAt).map((record) => record.decision as Decision);
}

const moveTo = (opportunityId: string, toStageId: string) =>
  deliver('candidateStageChange', { opportunityId, fromStageId: 'stage-phone', toStageId });

describe('the expand encoding', () => {
  it('reads the stage name, so a trigger stage sends the test the posting names', async () => {
    // With `expand=applications,stage,contact` this Lever expands nothing: the stage is a bare id,
    // no trigger matches, and no candidate is ever sent an assessment.
    const opportunity = lever.addOpportunity({
      stageId: 'stage-tech',
      emails: ['ada@example.com'],
      postingIds: ['posting-fe'],
    });
    await moveTo(opportunity.id, 'stage-tech');

    const [decision] = await decisionsOf(opportunity.id);
    expect(decision?.facts.stage).toMatchObject({ name: 'Technical Screen', isTrigger: true });
    expect(decision?.facts.candidate.postingTitle).toBe('Senior Frontend Engineer');
    expect(decision?.actions[0]).toEqual({
      type: 'assessment.send',
      test: 'Frontend - React',
      providerTestId: 'sandbox-react',
    });
    const read = lever.requests.find((r) => r.path === `/opportunities/${opportunity.id}`);
    expect(read?.search).toBe('expand=applications&expand=stage&expand=contact');
  });
});

describe('a posting Lever will not return is "no posting"', () => {
  it('403 (confidential): selection falls through to the stage default, and the decision says why', async () => {
    lever.addPosting({ id: 'posting-secret', text: 'Senior Frontend Engineer', confidential: true });
    const opportunity = lever.addOpportunity({
      stageId: 'stage-tech',
      emails: ['ada@example.com'],
      postingIds: ['posting-secret'],
    });
    await moveTo(opportunity.id, 'stage-tech');

    const [decision] = await decisionsOf(opportunity.id);
    const note = 'posting posting-secret could not be read (403: confidential?): treated as no posting';
    expect(decision?.facts.candidate).toMatchObject({ postingTitle: null, postingNote: note });
    expect(decision?.facts.selection).toMatchObject({ test: 'Backend - Python', source: 'stageDefault' });
    expect(decision?.reasons).toContain(note);
    expect(decision?.actions[0]).toMatchObject({ type: 'assessment.send', test: 'Backend - Python' });
  });

  it('404 (deleted) at a stage without a default: no test, an Error tag and a note that says why', async () => {
    const opportunity = lever.addOpportunity({
      stageId: 'stage-home',
      emails: ['ada@example.com'],
      postingIds: ['posting-gone'],
    });
    await moveTo(opportunity.id, 'stage-home');

    const [decision] = await decisionsOf(opportunity.id);
    expect(decision?.facts.candidate.postingNote).toBe(
      'posting posting-gone could not be read (404: deleted?): treated as no posting',
    );
    expect(decision?.actions).toContainEqual({ type: 'lever.addTags', tags: ['Hired Assessments - Error'] });
    const note = decision?.actions.find((action) => action.type === 'lever.addNote');
    expect(note).toMatchObject({ text: expect.stringContaining('posting posting-gone could not be read') });
  });

  it('a passing failure on the posting (503) is retried, never taken as "no posting"', async () => {
    const opportunity = lever.addOpportunity({
      stageId: 'stage-tech',
      emails: ['ada@example.com'],
      postingIds: ['posting-fe'],
    });
    // More 503s than one client call retries: the worker retries the delivery.
    lever.fault({ path: /^\/postings\//, status: 503, times: 6 });
    await moveTo(opportunity.id, 'stage-tech');

    const [decision] = await decisionsOf(opportunity.id);
    expect(decision?.facts.candidate).toMatchObject({
      postingTitle: 'Senior Frontend Engineer',
      postingNote: null,
    });
    expect(decision?.actions[0]).toMatchObject({ test: 'Frontend - React' });
    expect(lever.requests.filter((r) => r.path === '/postings/posting-fe').length).toBeGreaterThan(6);
  });
});

describe('candidateDeleted purges only what Lever confirms is gone', () => {
  async function candidateWithHistory() {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    await moveTo(opportunity.id, 'stage-tech');
    expect(await decisionsOf(opportunity.id)).toHaveLength(1);
    return opportunity;
  }

  it('a forged candidateDeleted for an opportunity Lever still has purges nothing', async () => {
    const opportunity = await candidateWithHistory();

    const inboxId = await deliver('candidateDeleted', { opportunityId: opportunity.id });

    const item = await server.store.getInboxItem(inboxId);
    expect(item?.status).toBe('skipped');
    expect(item?.reason).toBe(
      `Lever still has opportunity ${opportunity.id}: a candidateDeleted whose payload Lever does not confirm is ignored`,
    );
    expect(await server.store.getTombstone('acme', opportunity.id)).toBeUndefined();
    const decisions = await decisionsOf(opportunity.id);
    expect(decisions.map((d) => d.event.type)).toEqual(['candidateStageChange']);
    expect(decisions[0]?.facts.candidate.email).toBe('ada@example.com');
  });

  it('purges once Lever answers 404 for the opportunity', async () => {
    const opportunity = await candidateWithHistory();
    lever.deleteOpportunity(opportunity.id);

    await deliver('candidateDeleted', { opportunityId: opportunity.id });

    expect(await server.store.getTombstone('acme', opportunity.id)).toMatchObject({
      opportunityId: opportunity.id,
    });
    // The earlier decision keeps no facts about the candidate any more.
    const records = await server.store.listDecisions({ tenant: 'acme', opportunityId: opportunity.id });
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect((record.decision as Partial<Decision>).facts).toBeUndefined();
  });

  it('a refused read (403 on the opportunity) purges nothing', async () => {
    const opportunity = await candidateWithHistory();
    lever.fault({ path: new RegExp(`^/opportunities/${opportunity.id}$`), status: 403, times: 100 });

    await deliver('candidateDeleted', { opportunityId: opportunity.id });

    expect(await server.store.getTombstone('acme', opportunity.id)).toBeUndefined();
    expect((await decisionsOf(opportunity.id)).map((d) => d.event.type)).toEqual(['candidateStageChange']);
  });
});
