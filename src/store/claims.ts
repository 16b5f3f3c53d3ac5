// Who does which work. Inbox items are decided one opportunity at a time (inboxKeyOf); the embedded
// stores belong to one process, so they hand out every opportunity and recover every running action,
// and run every singleton job. PostgreSQL's claims and leases, across instances, are in postgres/.
import type { ActionRecord, InboxItem, Store } from './types.js';

/** The inbox items of one opportunity share this key; an item without an opportunity is alone. */
export function inboxKeyOf(item: Pick<InboxItem, 'tenant' | 'opportunityId' | 'id'>): string {
  return `${item.tenant}\0${item.opportunityId ?? `#${item.id}`}`;
}

/**
 * `recoverActions` for a store that one process owns (SQLite, lowdb): at start, every action left
 * `running` was left by a process that is gone.
 */
export function createLocalRecovery(
  store: Pick<Store, 'listActions' | 'updateAction'>,
): Pick<Store, 'recoverActions'> {
  return {
    async recoverActions(now) {
      const recovered: ActionRecord[] = [];
      for (const record of await store.listActions({ status: 'running' })) {
        recovered.push(await store.updateAction(record.id, { status: 'pending', nextAttemptAt: now }));
      }
      return recovered;
    },
  };
}

/** Of pending items in arrival order: the oldest of each opportunity (of `of`'s only, when given). */
export function firstPerOpportunity(
  pending: readonly InboxItem[],
  limit: number,
  of?: Pick<InboxItem, 'tenant' | 'opportunityId' | 'id'>,
): InboxItem[] {
  const wanted = of === undefined ? undefined : inboxKeyOf(of);
  const seen = new Set<string>();
  const firsts: InboxItem[] = [];
  for (const item of pending) {
    if (firsts.length >= Math.max(0, Math.floor(limit))) break;
    const key = inboxKeyOf(item);
    if (seen.has(key) || (wanted !== undefined && key !== wanted)) continue;
    seen.add(key);
    firsts.push(item);
  }
  return firsts;
}

/**
 * Work that must run on one instance at a time (the poller, retention). `run` calls `work` only on
 * the instance that holds the job's lease, and says whether it did; the others skip their turn.
 */
export interface Singletons {
  run(name: string, work: () => Promise<unknown>): Promise<boolean>;
  /** Gives up every lease this instance holds. */
  close(): Promise<void>;
}

/** The embedded stores: their directory lock already makes this process the only one. */
export const localSingletons: Singletons = {
  async run(_name, work) {
    await work();
    return true;
  },
  async close() {},
};
