import type { Low } from 'lowdb';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import { copyJson } from '../records.js';
import type {
  ActionRecord,
  DecisionRecord,
  InboxItem,
  InvitationRecord,
  PruneReport,
  Retention,
} from '../types.js';
import type { GroupCommit } from './group-commit.js';
import type { PartitionData } from './partition.js';

/** One tenant's file: its data in memory, and the batches that put it on disk. */
export interface Partition {
  db: Low<PartitionData>;
  commit: GroupCommit;
}

/** What the store's operations share. They change memory synchronously, then wait for the commit. */
export interface StoreContext {
  readonly clock: Clock;
  readonly log: Logger | undefined;
  readonly retention: Retention;
  readonly index: RecordIndex;
  readonly partitions: ReadonlyMap<string, Partition>;
  /** The tenant's partition, created empty on first use. */
  partitionFor(tenant: string): Partition;
  /** Throws STORE_FAILED once the store is closed. */
  assertOpen(): void;
}

export function findRecord<T>(context: StoreContext, records: Map<string, T>, id: string, kind: string): T {
  context.assertOpen();
  const record = records.get(id);
  if (record === undefined) {
    throw new StagegateError('NOT_FOUND', `No ${kind} with id ${id}.`, { details: { id } });
  }
  return record;
}

export function readRecord<T>(context: StoreContext, record: T | undefined): T | undefined {
  context.assertOpen();
  return record === undefined ? undefined : copyJson(record);
}

export function readRecords<T>(
  context: StoreContext,
  records: Iterable<T>,
  keep: (record: T) => boolean,
): T[] {
  context.assertOpen();
  return [...records].filter(keep).map(copyJson);
}

/** True when no value is wanted, or the value is the wanted one: for optional list filters. */
export function matches<T>(value: T, wanted: T | undefined): boolean {
  return wanted === undefined || value === wanted;
}

export function isPurged(partition: Partition, opportunityId: string | null): boolean {
  return opportunityId !== null && partition.db.data.tombstones[opportunityId] !== undefined;
}

/**
 * Waits until every change of these tenants is on disk and answers which are. A tenant whose file
 * cannot be written (the commit logs it, and /readyz fails) is left out rather than holding up the rest.
 */
export async function settleTenants(context: StoreContext, tenants: Iterable<string>): Promise<Set<string>> {
  const durable = new Set<string>();
  await Promise.all(
    [...new Set(tenants)].map(async (tenant) => {
      try {
        await context.partitionFor(tenant).commit.settle();
        durable.add(tenant);
      } catch {
        // Left out: see above.
      }
    }),
  );
  return durable;
}

/**
 * Records by id across all partitions. The maps hold the same objects as the partitions, so a
 * change through either is one change; lookups by id need not know the tenant.
 */
export interface RecordIndex {
  inbox: Map<string, InboxItem>;
  decisions: Map<string, DecisionRecord>;
  actions: Map<string, ActionRecord>;
  invitations: Map<string, InvitationRecord>;
  add(data: PartitionData): void;
  forget(report: PruneReport): void;
}

export function createRecordIndex(): RecordIndex {
  const index: RecordIndex = {
    inbox: new Map(),
    decisions: new Map(),
    actions: new Map(),
    invitations: new Map(),
    add(data) {
      for (const item of data.inbox) index.inbox.set(item.id, item);
      for (const decision of data.decisions) index.decisions.set(decision.id, decision);
      for (const action of data.actions) index.actions.set(action.id, action);
      for (const invitation of data.invitations) index.invitations.set(invitation.id, invitation);
    },
    forget(report) {
      for (const id of report.inbox) index.inbox.delete(id);
      for (const id of report.decisions) index.decisions.delete(id);
      for (const id of report.actions) index.actions.delete(id);
    },
  };
  return index;
}
