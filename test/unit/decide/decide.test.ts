import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/decide/decide.js';
import { computeFacts } from '../../../src/enrich/compute-facts.js';
import type { FactInput } from '../../../src/kernel/facts.js';
import { loadShippedTenant } from '../../support/load-shipped-tenant.js';

const acme = loadShippedTenant('acme');
const now = Date.parse('2026-01-01T00:00:00Z');

function input(
  overrides: Partial<FactInput['candidate']> & { stage?: string; type?: string; id?: string } = {},
): FactInput {
  return {
    event: {
      type: overrides.type ?? 'candidateStageChange',
      id: overrides.id ?? 'token-1',
      triggeredAt: now,
    },
    now,
    stage: { id: 'stage-1', name: overrides.stage ?? 'Technical Screen', fromName: null },
    candidate: {
      opportunityId: 'opp-1',
      name: 'Ada',
      email: 'ada@example.com',
      tags: [],
      archived: false,
      postingTitle: null,
      postingNote: null,
      profileUrl: null,
      ...overrides,
    },
    invitations: [],
  };
}

async function decideFor(i: FactInput) {
  const facts = computeFacts(acme, i);
  return decide(acme, { ...i.event, opportunityId: i.candidate.opportunityId }, facts);
}

describe('decide', () => {
  it('is deterministic: same version, event and facts give the same decision and id', async () => {
    const a = await decideFor(input());
    const b = await decideFor(input());
    expect(a).toEqual(b);
    expect(a.id).toMatch(/^dec_[0-9a-f]{20}$/);
    expect((await decideFor(input({ id: 'token-2' }))).id).not.toBe(a.id);
  });

  it('holds the tenant, config version, fired rules in priority order, actions and reasons', async () => {
    const decision = await decideFor(input());
    expect(decision.tenant).toBe('acme');
    expect(decision.configVersion).toBe(acme.version);
    expect(decision.fired).toEqual([{ name: 'send-selected-test', priority: 50 }]);
    expect(decision.actions[0]).toEqual({
      type: 'assessment.send',
      test: 'Backend - Python',
      providerTestId: 't-101',
    });
    expect(decision.reasons).toEqual(['sending Backend - Python (chosen by stageDefault)']);
  });

  it('says so in its reasons when the posting could not be read', async () => {
    const note = 'posting p-1 could not be read (403: confidential?): treated as no posting';
    const sent = await decideFor(input({ postingNote: note }));
    expect(sent.reasons).toEqual(['sending Backend - Python (chosen by stageDefault)', note]);
    const none = await decideFor(input({ postingNote: note, stage: 'Take-home' }));
    expect(none.actions).toContainEqual({
      type: 'lever.addNote',
      text: `No assessment was sent: Take-home has no default test, and no tag or posting names one (${note}).`,
    });
  });

  it('traces every rule and condition leaf with the fact value, operator, expected value, result and YAML line', async () => {
    const decision = await decideFor(input({ stage: 'Onsite' }));
    const rule = decision.trace.find((r) => r.rule === 'send-selected-test');
    expect(rule?.fired).toBe(false);
    expect(rule?.source).toMatch(/^rules\/assessment-lifecycle\.yaml:\d+:\d+$/);
    expect(rule?.conditions.all?.[1]).toMatchObject({
      fact: 'stage.isTrigger',
      operator: 'equal',
      value: true,
      factResult: false,
      result: false,
      name: expect.stringMatching(/^rules\/assessment-lifecycle\.yaml:\d+:\d+$/),
    });
    expect(decision.reasons).toEqual(["'Onsite' is not a trigger stage"]);
  });

  it('says why when nothing applies (unknown events, pings)', async () => {
    expect((await decideFor(input({ type: 'contactUpdated' }))).reasons).toEqual([
      'no rule applies to contactUpdated for this candidate',
    ]);
    const ping = await decideFor(input({ type: 'ping' }));
    expect(ping.actions).toEqual([]);
    expect(ping.reasons[0]).toMatch(/test ping/);
  });

  it('gives 100 concurrent decisions on one tenant the same results as sequential ones', async () => {
    const inputs = Array.from({ length: 100 }, (_, i) =>
      input({
        id: `token-${i}`,
        stage: ['Technical Screen', 'Take-home', 'Onsite'][i % 3] ?? 'Onsite',
        tags: i % 4 === 0 ? ['Frontend - React'] : i % 4 === 1 ? ['Frontend - React', 'Data - SQL'] : [],
        email: i % 5 === 0 ? null : 'x@example.com',
      }),
    );
    const sequential = [];
    for (const i of inputs) sequential.push(await decideFor(i));
    // Staggered starts, as deliveries arrive: a run that finishes while another is between priority
    // sets is what makes a shared json-rules-engine skip the other's remaining rules.
    const concurrent = await Promise.all(
      inputs.map(async (i, k) => {
        for (let tick = 0; tick < (k * 29) % 97; tick++) await Promise.resolve();
        return decideFor(i);
      }),
    );
    expect(concurrent).toEqual(sequential);
    expect(new Set(sequential.map((d) => d.fired.map((r) => r.name).join())).size).toBeGreaterThan(3);
  });
});
