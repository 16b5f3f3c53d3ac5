import pg from 'pg';
import { StagegateError } from '../../kernel/errors.js';
import { type CopyReport, type RecordKind, type RecordSource, recordKinds } from '../store-copy.js';
import { storeFailed } from './create-batch-commit.js';
import { describeDatabase, schemaOfUrl } from './create-postgres-store.js';
import { migrate } from './migrations.js';

export interface ImportOptions {
  /** DATABASE_URL; never shown with its password. */
  url: string;
  /** The schema the store's tables are in: else the URL's search_path, else public (as for the store). */
  schema?: string;
  /**
   * Secrets the source kept beside its records (the callback secret, from its data directory), by
   * name, in the clear: written into `service_secrets` where the schema has that table, so every
   * instance signs and checks vendor callback URLs as the source did.
   */
  serviceSecrets?: Record<string, string>;
}

/** What became of each service secret: written, already there alike or otherwise, or no table to hold it. */
export type SecretOutcome = 'copied' | 'same' | 'differs' | 'no-table';

// As src/server/read-or-create-secret.ts stores a secret made without STAGEGATE_SECRET_KEY; the
// first instance started with a key seals it.
const plainSecret = (value: string) => JSON.stringify({ value: `plain:${value}` });

// Rows keep the source's order: `seq` (arrival order) is given in the order of the array.
const records = (table: string) =>
  `INSERT INTO ${table} (record) SELECT r FROM unnest($1::json[]) WITH ORDINALITY AS u(r, n) ORDER BY n`;
const inserts: Record<RecordKind, string> = {
  inbox: records('inbox'),
  decisions: records('decisions'),
  actions: records('actions'),
  invitations: records('invitations'),
  credentials: `INSERT INTO credentials (tenant, kind, record)
    SELECT r ->> 'tenant', r ->> 'kind', r FROM unnest($1::json[]) WITH ORDINALITY AS u(r, n) ORDER BY n`,
  dedupe: `INSERT INTO dedupe (tenant, token, at, inbox_id)
    SELECT * FROM unnest($1::text[], $2::text[], $3::double precision[], $4::text[])`,
  tombstones: `INSERT INTO tombstones (tenant, opportunity_id, purged_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::double precision[])`,
};

function parameters(kind: RecordKind, chunk: readonly unknown[]): unknown[] {
  if (kind === 'dedupe') {
    const rows = chunk as { tenant: string; token: string; at: number; inboxId: string }[];
    return [
      rows.map((r) => r.tenant),
      rows.map((r) => r.token),
      rows.map((r) => r.at),
      rows.map((r) => r.inboxId),
    ];
  }
  if (kind === 'tombstones') {
    const rows = chunk as { tenant: string; opportunityId: string; purgedAt: number }[];
    return [rows.map((r) => r.tenant), rows.map((r) => r.opportunityId), rows.map((r) => r.purgedAt)];
  }
  return [chunk];
}

async function copySecrets(
  client: pg.ClientBase,
  secrets: Record<string, string>,
): Promise<Record<string, SecretOutcome>> {
  const outcomes: Record<string, SecretOutcome> = {};
  const names = Object.keys(secrets);
  if (names.length === 0) return outcomes;
  const { rows } = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('service_secrets') IS NOT NULL AS exists",
  );
  for (const name of names) {
    const value = secrets[name] ?? '';
    if (rows[0]?.exists !== true) {
      outcomes[name] = 'no-table';
      continue;
    }
    const inserted = await client.query(
      'INSERT INTO service_secrets (name, record) VALUES ($1, $2::json) ON CONFLICT (name) DO NOTHING',
      [name, plainSecret(value)],
    );
    if ((inserted.rowCount ?? 0) > 0) {
      outcomes[name] = 'copied';
      continue;
    }
    // An instance started on the empty store made its own; a sealed one cannot be compared here.
    const found = await client.query<{ value: string }>(
      "SELECT record ->> 'value' AS value FROM service_secrets WHERE name = $1",
      [name],
    );
    outcomes[name] = found.rows[0]?.value === `plain:${value}` ? 'same' : 'differs';
  }
  return outcomes;
}

async function countRows(client: pg.ClientBase): Promise<Record<RecordKind, number>> {
  const { rows } = await client.query<Record<RecordKind, string>>(
    `SELECT ${recordKinds.map((kind) => `(SELECT count(*) FROM ${kind}) AS ${kind}`).join(', ')}`,
  );
  const [row] = rows;
  return Object.fromEntries(recordKinds.map((kind) => [kind, Number(row?.[kind] ?? 0)])) as Record<
    RecordKind,
    number
  >;
}

async function byStatus(client: pg.ClientBase, table: string): Promise<Record<string, number>> {
  const { rows } = await client.query<{ status: string; n: string }>(
    `SELECT status, count(*) AS n FROM ${table} GROUP BY status ORDER BY status`,
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

/**
 * Writes every record of the source into an empty PostgreSQL store, in one transaction: the schema
 * is migrated first (as an instance's start does, under the same lock), the record tables are locked
 * against writers, and a store that already holds any record is refused (CONFLICT) with nothing
 * written. Either all of it is committed or none. The counts are read back from the database before
 * the commit; the copy is undone if they differ from what the source gave.
 */
export async function importRecords(
  options: ImportOptions,
  source: RecordSource,
): Promise<CopyReport & { secrets: Record<string, SecretOutcome> }> {
  const database = describeDatabase(options.url);
  const schema = options.schema ?? schemaOfUrl(options.url) ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StagegateError('STORE_FAILED', `Not a schema name: ${JSON.stringify(schema)}.`);
  }
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: 10_000,
    options: `-c search_path=${schema}`,
    application_name: 'stagegate store copy',
  });
  // A connection that breaks mid-copy fails the query in progress; it must not crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    await migrate(client, schema, database);
  } catch (error) {
    await client.end().catch(() => {});
    throw storeFailed('Could not open the PostgreSQL store', error, database);
  }
  try {
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${recordKinds.join(', ')} IN EXCLUSIVE MODE`);
    const before = await countRows(client);
    const held = recordKinds.filter((kind) => before[kind] > 0);
    if (held.length > 0) {
      throw new StagegateError(
        'CONFLICT',
        `The store on ${database} (schema ${schema}) is not empty: it holds ${held
          .map((kind) => `${before[kind]} ${kind}`)
          .join(', ')}. store copy writes only into an empty store: give it a new database or schema.`,
        { details: { database, schema } },
      );
    }
    const sent = Object.fromEntries(recordKinds.map((kind) => [kind, 0])) as Record<RecordKind, number>;
    for (const kind of recordKinds) {
      for (const chunk of source.chunks(kind)) {
        await client.query(inserts[kind], parameters(kind, chunk));
        sent[kind] += chunk.length;
      }
    }
    const counts = await countRows(client);
    const differ = recordKinds.filter((kind) => counts[kind] !== sent[kind]);
    if (differ.length > 0) {
      throw new StagegateError(
        'INTERNAL',
        `The copy was undone: the database holds ${differ.map((k) => `${counts[k]} ${k}`).join(', ')}, the source gave ${differ.map((k) => sent[k]).join(', ')}.`,
      );
    }
    const secrets = await copySecrets(client, options.serviceSecrets ?? {});
    const report: CopyReport & { secrets: Record<string, SecretOutcome> } = {
      secrets,
      database,
      schema,
      counts,
      inboxByStatus: await byStatus(client, 'inbox'),
      actionsByStatus: await byStatus(client, 'actions'),
      invitationsByStatus: await byStatus(client, 'invitations'),
    };
    await client.query('COMMIT');
    return report;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw storeFailed('Could not copy into PostgreSQL', error, database);
  } finally {
    await client.end().catch(() => {});
  }
}
