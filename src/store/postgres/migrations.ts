import type pg from 'pg';
import { StagegateError } from '../../kernel/errors.js';

/**
 * The schema, as an ordered list of migrations: version n is applied once, after n - 1, in one
 * transaction with its row in `schema_migrations`. A new version is appended here; a shipped one is
 * never edited. Each record is its JSON in `record` (`json`, not `jsonb`: jsonb reorders keys, and a record
 * must come back as it was written); the columns the queries filter or sort
 * on are generated from it, so they cannot drift from what is returned. `seq` is arrival order.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const text = (field: string) => `text GENERATED ALWAYS AS (record ->> '${field}') STORED`;
const number = (field: string) =>
  `double precision GENERATED ALWAYS AS ((record ->> '${field}')::double precision) STORED`;
/**
 * normalizeEmail (../records.ts) in SQL: ASCII whitespace trimmed, then lower() under the C
 * collation, which lower-cases ASCII letters only (under the database's collation it would also
 * lower-case É, and JavaScript's lookup would no longer match what is indexed).
 */
const email = (path: string) =>
  `text GENERATED ALWAYS AS (lower(btrim(${path}, E' \\t\\n\\r\\f\\x0b') COLLATE "C")) STORED`;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'records, dedupe tokens and tombstones',
    sql: `
CREATE TABLE inbox (
  seq bigserial PRIMARY KEY,
  record json NOT NULL,
  id ${text('id')} NOT NULL,
  tenant ${text('tenant')},
  status ${text('status')},
  opportunity_id ${text('opportunityId')},
  received_at ${number('receivedAt')},
  decision_id ${text('decisionId')}
);
CREATE UNIQUE INDEX inbox_by_id ON inbox (id);
CREATE INDEX inbox_by_status ON inbox (status, tenant, seq);
CREATE INDEX inbox_by_opportunity ON inbox (tenant, opportunity_id);
CREATE INDEX inbox_by_received ON inbox (received_at);

-- Database-wide: a Lever retry that lands on another instance meets the same row.
CREATE TABLE dedupe (
  tenant text NOT NULL,
  token text NOT NULL,
  at double precision NOT NULL,
  inbox_id text NOT NULL,
  PRIMARY KEY (tenant, token)
);
CREATE INDEX dedupe_by_at ON dedupe (at);

CREATE TABLE decisions (
  seq bigserial PRIMARY KEY,
  record json NOT NULL,
  id ${text('id')} NOT NULL,
  tenant ${text('tenant')},
  opportunity_id ${text('opportunityId')},
  inbox_id ${text('inboxId')},
  created_at ${number('createdAt')}
);
CREATE UNIQUE INDEX decisions_by_id ON decisions (id);
CREATE INDEX decisions_by_opportunity ON decisions (tenant, opportunity_id);
CREATE INDEX decisions_by_inbox ON decisions (inbox_id);
CREATE INDEX decisions_by_created ON decisions (created_at);

CREATE TABLE actions (
  seq bigserial PRIMARY KEY,
  record json NOT NULL,
  id ${text('id')} NOT NULL,
  tenant ${text('tenant')},
  opportunity_id ${text('opportunityId')},
  decision_id ${text('decisionId')},
  idx ${number('index')},
  status ${text('status')},
  next_attempt_at ${number('nextAttemptAt')},
  created_at ${number('createdAt')}
);
CREATE UNIQUE INDEX actions_by_id ON actions (id);
CREATE INDEX actions_by_due ON actions (status, next_attempt_at, created_at, idx);
CREATE INDEX actions_by_decision ON actions (decision_id, status);
CREATE INDEX actions_by_opportunity ON actions (tenant, opportunity_id);

CREATE TABLE invitations (
  seq bigserial PRIMARY KEY,
  record json NOT NULL,
  id ${text('id')} NOT NULL,
  tenant ${text('tenant')},
  opportunity_id ${text('opportunityId')},
  status ${text('status')}
);
CREATE UNIQUE INDEX invitations_by_id ON invitations (id);
CREATE INDEX invitations_by_opportunity ON invitations (tenant, opportunity_id, status);

CREATE TABLE tombstones (
  tenant text NOT NULL,
  opportunity_id text NOT NULL,
  purged_at double precision NOT NULL,
  PRIMARY KEY (tenant, opportunity_id)
);

CREATE TABLE probe (id integer PRIMARY KEY CHECK (id = 1), at double precision NOT NULL);
`,
  },
  {
    version: 2,
    name: 'claims on opportunities, with leases',
    sql: `
-- An instance that is handed an opportunity's due actions holds it until the lease runs out: the
-- others are not handed that opportunity's actions meanwhile. The key is the opportunity, or for an
-- action without one, '#' and its decision.
CREATE TABLE claims (
  tenant text NOT NULL,
  key text NOT NULL,
  owner text NOT NULL,
  until double precision NOT NULL,
  PRIMARY KEY (tenant, key)
);
CREATE INDEX claims_by_owner ON claims (owner);
`,
  },
  {
    version: 3,
    name: "the candidate's e-mail, normalised, for the timeline",
    sql: `
-- Generated from the record, so a purge (which removes the e-mail) or a prune (which deletes the
-- row) takes it out of the index too. Adding a stored column rewrites the table once.
ALTER TABLE decisions ADD COLUMN email ${email("record ->> 'email'")};
CREATE INDEX decisions_by_email ON decisions (tenant, email, opportunity_id);
ALTER TABLE invitations ADD COLUMN email ${email("record -> 'candidate' ->> 'email'")};
CREATE INDEX invitations_by_email ON invitations (tenant, email, opportunity_id);
`,
  },
  {
    version: 4,
    name: 'credentials, sealed',
    sql: `
-- One row per tenant and kind (the OAuth grant, the registered webhooks' tokens, a connect state):
-- the record's sealed value is encrypted by the credential vault before it reaches the store.
CREATE TABLE credentials (
  tenant text NOT NULL,
  kind text NOT NULL,
  record json NOT NULL,
  PRIMARY KEY (tenant, kind)
);
`,
  },
  {
    version: 5,
    name: 'Lever rate buckets and service secrets, shared by instances',
    sql: `
-- One token bucket per Lever credential (a hash of the API key, or an OAuth grant's id; never a
-- secret), taken from by every instance in one statement (create-rate-budgets.ts). tokens goes
-- negative while callers wait for tokens they have reserved; at is when it was last refilled.
CREATE TABLE lever_rate_buckets (
  key text PRIMARY KEY,
  tokens double precision NOT NULL,
  at double precision NOT NULL
);

-- Secrets the service makes for itself and every instance must share (the callback secret): the
-- first instance to start inserts it, the others read it. record.value is sealed when
-- STAGEGATE_SECRET_KEY is set.
CREATE TABLE service_secrets (
  name text PRIMARY KEY,
  record json NOT NULL
);
`,
  },
];

/**
 * Brings the schema up to the newest migration, in one transaction under an advisory lock: of
 * several instances starting at once, the first applies what is missing and the others wait for its
 * commit, then find nothing left to do. A database newer than this code is refused, not touched.
 */
export async function migrate(
  client: pg.ClientBase,
  schema: string,
  database: string,
  list: readonly Migration[] = migrations,
): Promise<void> {
  const newest = list.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('stagegate.migrate:' || $1))", [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT coalesce(max(version), 0) AS version FROM schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > newest) {
      throw new StagegateError(
        'STORE_FAILED',
        `The database ${database} has schema version ${current}; this stagegate knows up to ${newest}. ` +
          'Run the newer stagegate, or restore a backup taken before it migrated.',
        { details: { database, version: current, newest } },
      );
    }
    for (const migration of list.filter((m) => m.version > current)) {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
