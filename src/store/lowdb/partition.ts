import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Adapter, Low } from 'lowdb';
import { StagegateError } from '../../kernel/errors.js';
import type {
  ActionRecord,
  CredentialRecord,
  DecisionRecord,
  InboxItem,
  InvitationRecord,
  Tombstone,
} from '../types.js';

/** When a token was first seen, and the inbox item it produced. */
export interface DedupeEntry {
  at: number;
  inboxId: string;
}

/** Everything stored for one tenant: the content of `<dir>/<tenant>.json`. */
export interface PartitionData {
  version: 1;
  tenant: string;
  /** By token; a prototype-less object, so a hostile token such as `__proto__` is only a key. */
  dedupe: Record<string, DedupeEntry>;
  /** In arrival order. */
  inbox: InboxItem[];
  decisions: DecisionRecord[];
  actions: ActionRecord[];
  invitations: InvitationRecord[];
  /** By opportunity id; prototype-less like `dedupe`. */
  tombstones: Record<string, Tombstone>;
  /** By kind; prototype-less. Absent from files written before credentials existed (read as empty). */
  credentials: Record<string, CredentialRecord>;
}

const fileSuffix = '.json';

export function createEmptyPartition(tenant: string): PartitionData {
  return {
    version: 1,
    tenant,
    dedupe: Object.create(null),
    inbox: [],
    decisions: [],
    actions: [],
    invitations: [],
    tombstones: Object.create(null),
    credentials: Object.create(null),
  };
}

/** Any tenant id gives a plain file name: `/` and the like are percent-encoded. */
export function partitionFileName(tenant: string): string {
  return `${encodeURIComponent(tenant)}${fileSuffix}`;
}

export function isPartitionFileName(name: string): boolean {
  return name.endsWith(fileSuffix) && !name.startsWith('.');
}

/** Checks the shape of a file's content (not every field of every record) and names the file if it is wrong. */
export function checkPartitionData(value: unknown, file: string): PartitionData {
  const problem = findProblem(value, basename(file));
  if (problem !== undefined) {
    throw new StagegateError('STORE_FAILED', `Store file ${file} is not a stagegate partition: ${problem}.`, {
      details: { file },
    });
  }
  const data = value as PartitionData;
  data.dedupe = Object.assign(Object.create(null), data.dedupe);
  data.tombstones = Object.assign(Object.create(null), data.tombstones);
  data.credentials = Object.assign(Object.create(null), data.credentials);
  return data;
}

function findProblem(value: unknown, fileName: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'it is not a JSON object';
  const data = value as Partial<Record<keyof PartitionData, unknown>>;
  if (data.version !== 1) return `its version is ${JSON.stringify(data.version)}, expected 1`;
  if (typeof data.tenant !== 'string' || partitionFileName(data.tenant) !== fileName) {
    return `its tenant ${JSON.stringify(data.tenant)} does not match the file name`;
  }
  for (const key of ['inbox', 'decisions', 'actions', 'invitations'] as const) {
    if (!Array.isArray(data[key])) return `its "${key}" is not a list`;
  }
  for (const key of ['dedupe', 'tombstones'] as const) {
    if (data[key] === null || typeof data[key] !== 'object') return `its "${key}" is not an object`;
  }
  return undefined;
}

export type CreateAdapter = (file: string) => Adapter<PartitionData>;

/** Reads every partition file in the directory; a file that cannot be read fails the whole open. */
export async function openPartitions(
  dir: string,
  createAdapter: CreateAdapter,
): Promise<Low<PartitionData>[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new StagegateError('STORE_FAILED', `Could not list the store directory ${dir}.`, {
      cause,
      details: { dir },
    });
  }
  // A leftover .tmp is a write that never completed, so never acknowledged: nothing to recover.
  await Promise.all(names.filter((name) => name.endsWith('.json.tmp')).map((name) => rm(join(dir, name))));
  const partitions: Low<PartitionData>[] = [];
  for (const name of names.filter(isPartitionFileName)) {
    const file = join(dir, name);
    const db = new Low<PartitionData>(createAdapter(file), createEmptyPartition(''));
    await db.read();
    db.data = checkPartitionData(db.data, file);
    partitions.push(db);
  }
  return partitions;
}
