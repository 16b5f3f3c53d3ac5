import { join, relative, resolve } from 'node:path';
import { toStagegateError } from '../../kernel/errors.js';
import { readLowdbRecords } from '../../store/lowdb/read-lowdb-records.js';
import { importRecords, type SecretOutcome } from '../../store/postgres/import-records.js';
import { readSqliteRecords } from '../../store/sqlite/read-sqlite-records.js';
import type { RecordKind, RecordSource } from '../../store/store-copy.js';
import { refuseCopiedStore, writeCopiedMarker } from '../../store/store-directory.js';
import { type CliIo, exitCodes } from '../io.js';
import { readText } from '../load-config-files.js';

export interface StoreCopyOptions {
  from: string;
  to: string;
  json?: boolean;
}

const labels: Record<RecordKind, string> = {
  inbox: 'inbox items',
  dedupe: 'dedupe tokens',
  decisions: 'decisions',
  actions: 'actions',
  invitations: 'invitations',
  tombstones: 'tombstones',
  credentials: 'credentials',
};

/** `sqlite`, `sqlite:DIR`, `lowdb`, `lowdb:DIR`: the backend and its directory (default: the data directory). */
function parseSource(io: CliIo, from: string): { kind: 'sqlite' | 'lowdb'; dir: string } | string {
  const found = /^(sqlite|lowdb)(?::(.+))?$/.exec(from);
  if (found === null)
    return `--from must be sqlite or lowdb, optionally with :DIR (got ${JSON.stringify(from)})`;
  const dir = found[2] ?? (io.env.STAGEGATE_DATA_DIR?.trim() || 'data');
  return { kind: found[1] as 'sqlite' | 'lowdb', dir: resolve(io.cwd, dir) };
}

function formatStatuses(statuses: Record<string, number>): string {
  const parts = Object.entries(statuses).map(([status, n]) => `${status} ${n}`);
  return parts.length === 0 ? '' : `  (${parts.join(', ')})`;
}

/**
 * `stagegate store copy --from sqlite[:DIR] --to postgres`: moves an installation, its pending work
 * included, from an embedded store into an empty PostgreSQL store at DATABASE_URL. The source is
 * locked for the copy (a running service on it is refused) and marked as copied afterwards.
 * Exit codes: 0 copied, 1 refused or failed (nothing written), 2 bad usage or no store at the source.
 */
export async function storeCopyCommand(io: CliIo, options: StoreCopyOptions): Promise<number> {
  const fail = (code: number, message: string) => {
    io.stderr.write(`stagegate store copy: ${message}\n`);
    return code;
  };
  const source = parseSource(io, options.from);
  if (typeof source === 'string') return fail(exitCodes.invalid, source);
  if (options.to !== 'postgres') {
    return fail(exitCodes.invalid, `--to must be postgres (got ${JSON.stringify(options.to)})`);
  }
  const url = io.env.DATABASE_URL?.trim() ?? '';
  if (url === '') {
    return fail(exitCodes.invalid, 'DATABASE_URL must be set to the PostgreSQL store to copy into');
  }
  const display = (path: string) => relative(io.cwd, path) || '.';

  let records: RecordSource;
  try {
    await refuseCopiedStore(source.dir);
    records =
      source.kind === 'sqlite' ? await readSqliteRecords(source.dir) : await readLowdbRecords(source.dir);
  } catch (error) {
    const failure = toStagegateError(error);
    return fail(failure.code === 'NOT_FOUND' ? exitCodes.invalid : exitCodes.failed, failure.message);
  }
  // Vendors call back at URLs whose token is made with the callback secret: the instances on
  // PostgreSQL need the same one, or callbacks of invitations already sent answer 404.
  const secretFile = join(source.dir, 'callback-secret');
  const secretFromEnv = (io.env.STAGEGATE_CALLBACK_SECRET?.trim() ?? '') !== '';
  const secret = secretFromEnv ? '' : (readText(secretFile)?.trim() ?? '');
  let report: Awaited<ReturnType<typeof importRecords>>;
  let marker: string;
  try {
    report = await importRecords(
      { url, ...(secret === '' ? {} : { serviceSecrets: { 'callback-secret': secret } }) },
      records,
    );
    marker = await writeCopiedMarker(source.dir, {
      database: report.database,
      schema: report.schema,
      at: new Date().toISOString(),
    });
  } catch (error) {
    return fail(exitCodes.failed, toStagegateError(error).message);
  } finally {
    await records.close();
  }

  const callbackSecret: SecretOutcome | 'from-env' | 'none' = secretFromEnv
    ? 'from-env'
    : secret === ''
      ? 'none'
      : (report.secrets['callback-secret'] ?? 'no-table');
  if (options.json) {
    const { secrets: _secrets, ...counts } = report;
    io.stdout.write(
      `${JSON.stringify({ from: { store: source.kind, dir: source.dir }, ...counts, marker, callbackSecret }, null, 2)}\n`,
    );
    return exitCodes.ok;
  }
  const lines = [
    `copied ${source.kind} ${display(source.dir)} to ${report.database} (schema ${report.schema})`,
  ];
  const statuses: Partial<Record<RecordKind, Record<string, number>>> = {
    inbox: report.inboxByStatus,
    actions: report.actionsByStatus,
    invitations: report.invitationsByStatus,
  };
  for (const [kind, label] of Object.entries(labels) as [RecordKind, string][]) {
    lines.push(
      `  ${label.padEnd(14)} ${String(report.counts[kind]).padStart(7)}${formatStatuses(statuses[kind] ?? {})}`,
    );
  }
  lines.push(
    `${display(source.dir)} is marked as copied (${display(marker)}): a service on it with STAGEGATE_STORE=${source.kind} refuses to start, so its pending work runs only from PostgreSQL.`,
  );
  const running = report.actionsByStatus.running ?? 0;
  if (running > 0) {
    lines.push(
      `${running} action(s) were left running by a stop mid-action: the first instance on PostgreSQL takes them up as a restart would (a send that was at the vendor then fails in doubt, for a person to check).`,
    );
  }
  const secretLines: Record<typeof callbackSecret, string | null> = {
    copied: `The callback secret (${display(secretFile)}) is in the database now: every instance checks the vendor callback URLs already handed out with it.`,
    same: `The database already holds the same callback secret as ${display(secretFile)}.`,
    differs: `The database already holds another callback secret (an instance started on it): give every instance STAGEGATE_CALLBACK_SECRET with the content of ${display(secretFile)}, or vendor callbacks of invitations already sent answer 404 (the poller still reads their results).`,
    'no-table': `Vendor callback URLs already handed out carry tokens made with ${display(secretFile)}: give every instance STAGEGATE_CALLBACK_SECRET with its content (or that file in its data directory).`,
    'from-env': 'STAGEGATE_CALLBACK_SECRET is set here: give every instance the same.',
    none: null,
  };
  const secretLine = secretLines[callbackSecret];
  if (secretLine !== null) lines.push(secretLine);
  io.stdout.write(`${lines.join('\n')}\n`);
  return exitCodes.ok;
}
