// What the store's integration tests share: the records they store, a fresh directory per test and
// one manual clock. The contract (store-contract.ts) and the backend-specific files all use it.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import type { ActionRecord, DecisionRecord, DeliveryInput, InboxItem, Store } from '../../src/store/types.js';

export const hour = 60 * 60 * 1000;
export const day = 24 * hour;
export const start = Date.UTC(2025, 0, 6, 9, 0, 0);
export const email = 'ada.lovelace@example.com';

/** The one clock of a test file: back at `start` before each test. */
export const clock = createManualClock(start);

export interface StoreTestbed {
  /** The test's own empty directory. */
  readonly dir: string;
  /** Closes the store after the test. */
  track(store: Store): Store;
}

/** Registers the hooks, in the enclosing describe, that give each test an empty directory and close its stores. */
export function useStoreTestbed(): StoreTestbed {
  const opened: Store[] = [];
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagegate-store-'));
    clock.set(start);
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    track(store) {
      opened.push(store);
      return store;
    },
  };
}

export function delivery(overrides: Partial<DeliveryInput> = {}): DeliveryInput {
  return {
    tenant: 'acme',
    token: 'token-1',
    event: 'candidateStageChange',
    triggeredAt: start - 1000,
    opportunityId: 'opp-1',
    payload: { data: { opportunityId: 'opp-1', toStageId: 'stage-assessment' } },
    ...overrides,
  };
}

export function decisionFor(item: InboxItem, id = `dec-${item.id}`): DecisionRecord {
  return {
    id,
    tenant: item.tenant,
    opportunityId: item.opportunityId,
    inboxId: item.id,
    createdAt: clock.now(),
    decision: { facts: { candidate: { email } }, matched: ['send-python-test'] },
  };
}

export function actionsFor(
  decision: DecisionRecord,
  count: number,
  overrides: Partial<ActionRecord> = {},
): ActionRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${decision.id}:${index}`,
    tenant: decision.tenant,
    opportunityId: decision.opportunityId,
    decisionId: decision.id,
    index,
    action: { type: 'lever.addTags', tags: ['Assessment sent'] },
    status: 'pending' as const,
    attempts: 0,
    nextAttemptAt: clock.now(),
    createdAt: clock.now(),
    updatedAt: clock.now(),
    ...overrides,
  }));
}

/** Every byte of every file in the directory, as text: where personal data must not be found. */
export async function readAllFiles(dir: string): Promise<string> {
  const names = await readdir(dir);
  const texts = await Promise.all(names.map((name) => readFile(join(dir, name), 'latin1')));
  return texts.join('\n');
}
