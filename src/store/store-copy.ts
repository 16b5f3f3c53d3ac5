// The contract of `stagegate store copy` between its sources (sqlite/read-sqlite-records.ts,
// lowdb/read-lowdb-records.ts) and its target (postgres/import-records.ts).
import type { Tombstone } from './types.js';

/**
 * An installation's records as one store holds them, for `stagegate store copy`: every kind that
 * makes up its state and its pending work. What a store keeps only while it runs (the readiness
 * probe, claims and leases) is not among them.
 */
export const recordKinds = [
  'inbox',
  'dedupe',
  'decisions',
  'actions',
  'invitations',
  'tombstones',
  'credentials',
] as const;
export type RecordKind = (typeof recordKinds)[number];

/** A delivery token seen for a tenant: when, and the inbox item it produced. */
export interface DedupeToken {
  tenant: string;
  token: string;
  at: number;
  inboxId: string;
}

/**
 * One chunk of a kind. Records are the JSON text the source stored, passed on unparsed: a record
 * (a credential's sealed value included) arrives as it was written, byte for byte.
 */
export interface RecordChunks {
  inbox: string[];
  dedupe: DedupeToken[];
  decisions: string[];
  actions: string[];
  invitations: string[];
  tombstones: Tombstone[];
  credentials: string[];
}

/** A store opened to be read from start to end, held (its lock taken) until closed. */
export interface RecordSource {
  /** Where it is, for messages (`sqlite data/`). */
  readonly description: string;
  /** The kind's records in arrival order, a chunk at a time; one kind is read at a time. */
  chunks<K extends RecordKind>(kind: K): Iterable<RecordChunks[K]>;
  close(): Promise<void>;
}

/** How many records of each kind were copied, and the pending work among them by status. */
export interface CopyReport {
  /** The target, as it may be shown: user, host, port and database, never the password. */
  database: string;
  schema: string;
  counts: Record<RecordKind, number>;
  inboxByStatus: Record<string, number>;
  actionsByStatus: Record<string, number>;
  invitationsByStatus: Record<string, number>;
}

export const copyChunkSize = 500;
