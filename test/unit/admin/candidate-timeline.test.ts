import { describe, expect, it } from 'vitest';
import { buildCandidateTimeline } from '../../../src/admin/candidate-timeline.js';
import type { CandidateRecords } from '../../../src/store/types.js';

const at = Date.UTC(2026, 11, 2, 10, 4, 11);

function records(): CandidateRecords {
  return {
    inbox: [
      {
        id: 'in-1',
        tenant: 'acme',
        token: 't-1',
        event: 'candidateStageChange',
        triggeredAt: at,
        receivedAt: at,
        opportunityId: 'opp-1',
        payload: {},
        status: 'done',
        decisionId: 'dec-1',
      },
      {
        id: 'in-2',
        tenant: 'acme',
        token: 't-2',
        event: 'candidateArchiveChange',
        triggeredAt: at + 5_000,
        receivedAt: at + 5_000,
        opportunityId: 'opp-1',
        payload: {},
        status: 'skipped',
        reason: 'tenant acme has no valid configuration any more',
      },
    ],
    decisions: [
      {
        id: 'dec-1',
        tenant: 'acme',
        opportunityId: 'opp-1',
        inboxId: 'in-1',
        createdAt: at,
        decision: {
          configVersion: 'abc123',
          event: { type: 'candidateStageChange' },
          fired: [{ name: 'send-selected-test', priority: 50 }],
          reasons: ['sending Backend - Python'],
          actions: [{ type: 'assessment.send' }],
        },
      },
      {
        id: 'dec-0',
        tenant: 'acme',
        opportunityId: 'opp-1',
        inboxId: null,
        createdAt: at - 1,
        decision: { purged: true },
      },
    ],
    actions: [
      {
        id: 'dec-1:0',
        tenant: 'acme',
        opportunityId: 'opp-1',
        decisionId: 'dec-1',
        index: 0,
        action: { type: 'assessment.send' },
        status: 'pending',
        attempts: 2,
        nextAttemptAt: at + 60_000,
        lastError: 'vendor answered 503',
        failureClass: 'retry-safe',
        createdAt: at,
        updatedAt: at,
      },
    ],
    invitations: [],
  };
}

describe('buildCandidateTimeline', () => {
  it('orders by time, and at the same time a delivery before its decision before its action', () => {
    const timeline = buildCandidateTimeline('acme', 'opp-1', records());
    expect(timeline.entries.map((entry) => `${entry.kind}:${entry.id}`)).toEqual([
      'decision:dec-0',
      'delivery:in-1',
      'decision:dec-1',
      'action:dec-1:0',
      'delivery:in-2',
    ]);
  });

  it('keeps what an operator needs of each record, and only that a purged decision was made', () => {
    const [purged, , decided, action, skipped] = buildCandidateTimeline('acme', 'opp-1', records()).entries;
    expect(purged).toEqual({ kind: 'decision', at: at - 1, id: 'dec-0' });
    expect(decided).toEqual({
      kind: 'decision',
      at,
      id: 'dec-1',
      event: 'candidateStageChange',
      configVersion: 'abc123',
      fired: ['send-selected-test'],
      reasons: ['sending Backend - Python'],
      actions: ['assessment.send'],
    });
    expect(action).toMatchObject({
      type: 'assessment.send',
      attempts: 2,
      nextAttemptAt: at + 60_000,
      failureClass: 'retry-safe',
    });
    expect(skipped).toMatchObject({
      kind: 'delivery',
      status: 'skipped',
      reason: expect.stringContaining('no valid'),
    });
  });
});
