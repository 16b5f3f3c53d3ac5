import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPack } from '../../../src/config/load-pack.js';
import { loadTenant } from '../../../src/config/load-tenant.js';
import { envSecretSources } from '../../../src/config/resolve-secrets.js';
import type { TenantSnapshot } from '../../../src/config/types.js';
import { decide } from '../../../src/decide/decide.js';
import { formatTrace } from '../../../src/decide/format-trace.js';
import type { RuleTrace } from '../../../src/decide/types.js';
import { computeFacts } from '../../../src/enrich/compute-facts.js';
import type { FactInput } from '../../../src/kernel/facts.js';
import { leverFactNames } from '../../../src/kernel/facts.js';
import { loadShippedTenant, repoRoot, shippedAllowedHosts } from '../../support/load-shipped-tenant.js';

const now = Date.parse('2026-01-01T00:00:00Z');
const acme = loadShippedTenant('acme');

/** acme with one more rule, given as YAML under `rules:`. */
function acmeWith(rules: string): TenantSnapshot {
  const packFile = 'rules/assessment-lifecycle.yaml';
  const pack = loadPack(packFile, readFileSync(resolve(repoRoot, packFile), 'utf8'));
  const text = readFileSync(resolve(repoRoot, 'tenants/acme.yaml'), 'utf8').replace(
    /^rules: \[\]$/m,
    `rules:\n${rules}`,
  );
  const load = loadTenant({
    file: 'tenants/acme.yaml',
    text,
    findPack: (name) => (name === pack.name ? pack : undefined),
    secrets: envSecretSources({}),
    allowedHosts: shippedAllowedHosts,
  });
  if (!load.snapshot) throw new Error(JSON.stringify(load.diagnostics));
  return load.snapshot;
}

/** A completion: what the event and store know, and (deferred) what Lever says of the candidate. */
function completion(score: number): { known: FactInput; fromLever: FactInput } {
  const known: FactInput = {
    event: { type: 'assessmentCompleted', id: 'inv-1', triggeredAt: now },
    now,
    stage: { id: null, name: null, fromName: null },
    candidate: {
      opportunityId: 'opp-1',
      name: 'Ada',
      email: 'ada@example.com',
      tags: [],
      archived: false,
      postingTitle: null,
      postingNote: null,
      profileUrl: null,
    },
    invitations: [],
    assessment: {
      invitationId: 'inv-1',
      test: 'Backend - Python',
      status: 'completed',
      score,
      reportUrl: 'https://vendor.example/r/1',
    },
  };
  const fromLever: FactInput = {
    ...known,
    stage: { id: 'stage-tech', name: 'Technical Screen', fromName: null },
    candidate: { ...known.candidate, tags: ['VIP', 'Hired Assessments - Sent'] },
  };
  return { known, fromLever };
}

async function decideDeferred(tenant: TenantSnapshot, score: number) {
  const { known, fromLever } = completion(score);
  let loads = 0;
  const decision = await decide(
    tenant,
    { ...known.event, opportunityId: 'opp-1' },
    computeFacts(tenant, known),
    {
      names: leverFactNames,
      load: async () => {
        loads += 1;
        return computeFacts(tenant, fromLever);
      },
    },
  );
  return { decision, loads };
}

describe('decide: facts fetched only when a rule reads them', () => {
  it('the standard pack decides a completion without reading the candidate from Lever', async () => {
    const { decision, loads } = await decideDeferred(acme, 85);
    expect(loads).toBe(0);
    expect(decision.fired.map((rule) => rule.name)).toEqual(['report-completed', 'mark-pass']);
    expect(decision.actions).toEqual([
      { type: 'lever.addLinks', links: ['https://vendor.example/r/1'] },
      {
        type: 'lever.addNote',
        text: 'Backend - Python completed. Score: 85. Report: https://vendor.example/r/1',
      },
      { type: 'lever.addTags', tags: ['Hired Assessments - Pass'] },
    ]);
    expect(decision.unread).toEqual([...leverFactNames]);
    // Rules for other events stopped at event.type: no condition on a candidate fact was evaluated.
    const send = decision.trace.find((rule) => rule.rule === 'send-selected-test');
    const leaves = send?.conditions.all ?? [];
    expect(leaves.find((leaf) => leaf.fact === 'candidate.archived')).not.toHaveProperty('factResult');
    const lines = formatTrace(send as RuleTrace);
    expect(lines[1]).toMatch(/^\s+✗ all$/);
    expect(lines.find((line) => line.includes('candidate.archived'))).toMatch(
      /· candidate\.archived equal false \(not read\)/,
    );
  });

  it('the same decision as when every fact is read at once, and replayed from what it recorded', async () => {
    const { decision } = await decideDeferred(acme, 55);
    const { fromLever } = completion(55);
    const eager = await decide(acme, decision.event, computeFacts(acme, fromLever));
    expect(decision.actions).toEqual(eager.actions);
    expect(decision.fired).toEqual(eager.fired);
    const replayed = await decide(acme, decision.event, decision.facts);
    expect(replayed.actions).toEqual(decision.actions);
  });

  it('reads Lever once when rules read candidate facts, and records what they read', async () => {
    const tenant = acmeWith(`  - name: vip-pass
    priority: 5
    when:
      all:
        - { fact: event.type, operator: equal, value: assessmentCompleted }
        - { fact: candidate.tags, operator: contains, value: VIP }
        - { fact: stage.name, operator: equal, value: Technical Screen }
    then:
      - { type: lever.addTags, tags: ["VIP passed"] }
`);
    const { decision, loads } = await decideDeferred(tenant, 85);
    expect(loads).toBe(1);
    expect(decision.fired.map((rule) => rule.name)).toContain('vip-pass');
    expect(decision.unread).toBeUndefined();
    expect(decision.facts.candidate.tags).toEqual(['VIP', 'Hired Assessments - Sent']);
    const vip = decision.trace.find((rule) => rule.rule === 'vip-pass');
    expect(vip?.conditions.all?.[1]).toMatchObject({
      fact: 'candidate.tags',
      factResult: ['VIP', 'Hired Assessments - Sent'],
    });
    // explain --decision replays it from the recorded facts alone.
    const replayed = await decide(tenant, decision.event, decision.facts);
    expect(replayed.actions).toEqual(decision.actions);
  });

  it('reads Lever when a fired rule only names a candidate fact in its action', async () => {
    const tenant = acmeWith(`  - name: note-names-the-stage
    priority: 5
    when:
      all:
        - { fact: event.type, operator: equal, value: assessmentCompleted }
    then:
      - { type: lever.addNote, text: "completed while in \${stage.name}" }
`);
    const { decision, loads } = await decideDeferred(tenant, 85);
    expect(loads).toBe(1);
    expect(decision.actions).toContainEqual({
      type: 'lever.addNote',
      text: 'completed while in Technical Screen',
    });
    expect(decision.unread).toBeUndefined();
  });

  it('a fetch that fails fails the decision (the inbox worker retries or skips it as for any Lever read)', async () => {
    const tenant = acmeWith(`  - name: vip-only
    when:
      all:
        - { fact: event.type, operator: equal, value: assessmentCompleted }
        - { fact: candidate.tags, operator: contains, value: VIP }
    then: []
`);
    const { known } = completion(85);
    const facts = computeFacts(tenant, known);
    const event = { ...known.event, opportunityId: 'opp-1' };
    const gone = new Error('Lever has no opportunity opp-1 (deleted since?)');
    await expect(
      decide(tenant, event, facts, { names: leverFactNames, load: () => Promise.reject(gone) }),
    ).rejects.toBe(gone);
    // The next decision of the same tenant version is whole.
    expect((await decideDeferred(tenant, 85)).decision.fired.map((rule) => rule.name)).toContain('mark-pass');
  });
});
