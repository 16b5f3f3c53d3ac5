import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/kernel/actions.js';
import { runFixture } from '../../../src/rule-test/run-fixture.js';
import type { FixtureCase } from '../../../src/rule-test/types.js';
import { loadShippedTenant } from '../../support/load-shipped-tenant.js';

const acme = loadShippedTenant('acme');

async function runCase(testCase: FixtureCase) {
  const { results } = await runFixture('tenants/acme.test.yaml', { tenant: 'acme', cases: [testCase] }, acme);
  const [result] = results;
  if (!result) throw new Error('the case did not run');
  return result;
}

const send: Action = { type: 'assessment.send', test: 'Backend - Python', providerTestId: 't-101' };
const sentTag: Action = { type: 'lever.addTags', tags: ['Hired Assessments - Sent'] };
const rawStageChange = {
  event: 'candidateStageChange',
  triggeredAt: 1767225600000,
  token: 'abc',
  data: { opportunityId: 'o-1' },
};

describe('runFixture: ordered cases', () => {
  // At Technical Screen acme's rules give the send, then the Sent tag.
  const atTechnicalScreen = { type: 'candidateStageChange', stage: 'Technical Screen' };

  it('fails an ordered case whose actions come in another order, and says that order matters', async () => {
    const result = await runCase({
      name: 'wrong order',
      event: atTechnicalScreen,
      expect: { ordered: true, actions: [sentTag, send] },
    });
    expect(result.passed).toBe(false);
    expect(result.problems.map((line) => line.trim())).toContain('(order matters in this case)');
  });

  it('passes the same actions in that order when the case is not ordered (the default)', async () => {
    expect(
      (await runCase({ name: 'any order', event: atTechnicalScreen, expect: { actions: [sentTag, send] } }))
        .passed,
    ).toBe(true);
    expect(
      (
        await runCase({
          name: 'any order',
          event: atTechnicalScreen,
          expect: { ordered: false, actions: [sentTag, send] },
        })
      ).passed,
    ).toBe(true);
  });

  it('passes an ordered case in the right order, and an ordered `contains` case as a subsequence', async () => {
    expect(
      (
        await runCase({
          name: 'right order',
          event: atTechnicalScreen,
          expect: { ordered: true, actions: [send, sentTag] },
        })
      ).passed,
    ).toBe(true);
    const contains = (actions: Action[]) =>
      runCase({
        name: 'subsequence',
        event: atTechnicalScreen,
        expect: { ordered: true, match: 'contains', actions },
      });
    expect((await contains([send, sentTag])).passed).toBe(true);
    expect((await contains([sentTag, send])).passed).toBe(false);
  });
});

describe('runFixture: given facts', () => {
  it('derives the trigger stage and the selected test from a raw payload and the stage name Lever gave', async () => {
    const result = await runCase({
      name: 'raw',
      payload: rawStageChange,
      facts: { stage: { name: 'Technical Screen' } },
      expect: { actions: [send, sentTag], fired: ['send-selected-test'] },
    });
    expect(result.problems).toEqual([]);
  });

  it('keeps a derived fact given as it is computed (stage.isTrigger: true)', async () => {
    const result = await runCase({
      name: 'raw, spelled out',
      payload: rawStageChange,
      facts: { stage: { name: 'Technical Screen', isTrigger: true } },
      expect: { match: 'contains', actions: [send] },
    });
    expect(result.problems).toEqual([]);
  });

  it('derives the selection from candidate tags and the test tags, and the resend from invitations.all', async () => {
    const tagged = await runCase({
      name: 'tags as facts',
      event: { type: 'candidateStageChange', stage: 'Technical Screen' },
      facts: { candidate: { tags: ['Frontend - React'] } },
      expect: {
        match: 'contains',
        actions: [{ type: 'assessment.send', test: 'Frontend - React', providerTestId: 't-202' }],
      },
    });
    expect(tagged.problems).toEqual([]);
    const resent = await runCase({
      name: 'invitations as facts',
      payload: rawStageChange,
      facts: {
        stage: { name: 'Technical Screen' },
        invitations: { all: [{ test: 'Backend - Python', status: 'sent', sentAt: '2025-12-01T00:00:00Z' }] },
      },
      expect: { actions: [], fired: ['resend-refused'] },
    });
    expect(resent.problems).toEqual([]);
  });

  it('derives hasEmail from a given e-mail', async () => {
    const result = await runCase({
      name: 'no e-mail as a fact',
      event: { type: 'candidateStageChange', stage: 'Technical Screen' },
      facts: { candidate: { email: null } },
      expect: { fired: ['no-email'], notFired: ['send-selected-test'] },
    });
    expect(result.problems).toEqual([]);
  });

  it('sets a derived fact over the computed one, to force a case the settings cannot reach', async () => {
    const result = await runCase({
      name: 'forced hold',
      event: { type: 'candidateStageChange', stage: 'Technical Screen' },
      facts: { selection: { test: null, held: true, conflictingTags: ['Backend - Python', 'Data - SQL'] } },
      expect: { fired: ['hold-several-test-tags'], notFired: ['send-selected-test'] },
    });
    expect(result.problems).toEqual([]);
  });
});
