import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import { createPostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { createSqliteStore } from '../../src/store/sqlite/create-sqlite-store.js';
import type { ActionRecord, Store } from '../../src/store/types.js';
import { schemaForDir, usePostgresDatabase } from '../support/postgres-test-database.js';

// The console's two reads (Store.countActivity, Store.recentDecisions) answer alike on every backend.
const database = await usePostgresDatabase('console-store.test.ts');
const day = 86_400_000;
const now = Date.UTC(2026, 5, 1);
const error = 'Tags - Error';
const pass = 'Tags - Pass';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const backends: [string, (dir: string) => Promise<Store>][] = [
  ['sqlite', (dir) => createSqliteStore({ dir, clock: createManualClock(now) })],
  ['lowdb', (dir) => createLowdbStore({ dir, clock: createManualClock(now), commitIntervalMs: 0 })],
  ...(database === undefined
    ? []
    : ([
        [
          'postgres',
          (dir: string) =>
            createPostgresStore({
              url: database.url,
              schema: schemaForDir(dir),
              clock: createManualClock(now),
            }),
        ],
      ] as [string, (dir: string) => Promise<Store>][])),
];

/** One decision of `tenant` at `at` with these actions; `failed` marks its last action failed (in doubt). */
async function decide(
  store: Store,
  n: number,
  tenant: string,
  at: number,
  actions: Record<string, unknown>[],
  options: { event?: string; failed?: 'retry-safe' | 'in-doubt' } = {},
): Promise<void> {
  const event = options.event ?? 'candidateStageChange';
  const { item } = await store.acceptDelivery({
    tenant,
    token: `t-${n}`,
    event,
    triggeredAt: at,
    opportunityId: `opp-${n}`,
    payload: {},
  });
  const id = `dec-${n}`;
  const records: ActionRecord[] = actions.map((action, index) => {
    const failed = options.failed !== undefined && index === actions.length - 1;
    return {
      id: `${id}:${index}`,
      tenant,
      opportunityId: `opp-${n}`,
      decisionId: id,
      index,
      action,
      status: failed ? 'failed' : 'done',
      attempts: 1,
      nextAttemptAt: at,
      ...(failed ? { lastError: 'x', failureClass: options.failed } : {}),
      createdAt: at,
      updatedAt: at,
    };
  });
  // The facts carry every status tag by name, as real decisions' do: they must not count.
  const decision = {
    id,
    event: { type: event, id: `t-${n}`, triggeredAt: at, opportunityId: `opp-${n}` },
    facts: { statusTags: { error, pass, all: [pass, error] }, candidate: { tags: [error] } },
    actions,
    reasons: [`reason ${n}`],
  };
  await store.completeInbox(item.id, {
    decision: { id, tenant, opportunityId: `opp-${n}`, inboxId: item.id, createdAt: at, decision },
    actions: records,
  });
}

describe.each(backends)('the console reads on %s', (_name, open) => {
  it('counts the week by the decisions’ actions, and lists the newest decisions first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagegate-console-store-'));
    dirs.push(dir);
    const store = await open(dir);
    try {
      const send = { type: 'assessment.send', test: 'T', providerTestId: 'p' };
      await decide(store, 1, 'acme', now - 10 * day, [send]); // before the week
      await decide(store, 2, 'acme', now - 3 * day, [send, { type: 'lever.addTags', tags: ['Tags - Sent'] }]);
      await decide(store, 3, 'acme', now - 2 * day, [{ type: 'lever.addTags', tags: [error] }]);
      await decide(store, 4, 'acme', now - day, [{ type: 'lever.removeTags', tags: [error] }, send], {
        failed: 'in-doubt',
      });
      await decide(store, 5, 'acme', now - day / 2, [{ type: 'lever.addTags', tags: [pass] }], {
        event: 'assessmentCompleted',
        failed: 'retry-safe',
      });
      await decide(store, 6, 'globex', now - day, [{ type: 'lever.addTags', tags: [error] }], {
        failed: 'retry-safe',
      });
      const activity = await store.countActivity('acme', now - 7 * day, [error, pass, 'Tags - Fail']);
      expect(activity).toEqual({
        sends: 2,
        completions: 1,
        tagged: { [error]: 1, [pass]: 1, 'Tags - Fail': 0 },
        deadLetters: 2,
        inDoubt: 1,
      });
      expect((await store.countActivity('nobody', 0, [error])).tagged).toEqual({ [error]: 0 });
      const recent = await store.recentDecisions('acme', 3);
      expect(recent.map((record) => record.id)).toEqual(['dec-5', 'dec-4', 'dec-3']);
      expect(await store.recentDecisions('nobody', 3)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
