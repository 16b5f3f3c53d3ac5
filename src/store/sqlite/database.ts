// The store file: opened, checked to be ours and intact, created or migrated, and the schema it holds.
import Database from 'better-sqlite3';
import { StagegateError } from '../../kernel/errors.js';
import { normalizedEmailSql } from '../records.js';

/**
 * Opens (or creates) the store file: WAL, and `synchronous=FULL` so that a commit is on disk when it
 * returns; `secure_delete` so that purged and pruned bytes are overwritten, not left in free space.
 * A file that is corrupt, truncated or not a stagegate store fails the open and is left as it is.
 */
export function openDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`quick_check: ${String(check)}`);
    const problem = checkIdentity(db);
    if (problem !== undefined) {
      throw new StagegateError('STORE_FAILED', `Store file ${file} is not a stagegate store: ${problem}.`, {
        details: { file },
      });
    }
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof StagegateError) throw error;
    throw new StagegateError(
      'STORE_FAILED',
      `Store file ${file} is corrupt or cannot be opened (${(error as Error).message}); ` +
        'restore it from a backup or move it aside. The store does not start empty over it.',
      { cause: error, details: { file } },
    );
  }
}

/** Creates the schema in a new file; describes what is wrong with a file that is not ours. */
function checkIdentity(db: Database.Database): string | undefined {
  const id = db.pragma('application_id', { simple: true });
  const version = db.pragma('user_version', { simple: true });
  if (id === 0 && version === 0) {
    const tables = db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    if (tables !== 0) return 'it holds tables of another program';
    createSchema(db);
    return undefined;
  }
  if (id !== applicationId) return `its application_id is ${String(id)}, expected ${applicationId}`;
  if (version === 1) migrateSchema(db, version);
  else if (version !== schemaVersion)
    return `its schema version is ${String(version)}, expected ${schemaVersion}`;
  db.exec(additiveTables);
  return undefined;
}

/** `PRAGMA application_id` of a stagegate store ('SGTE'): a SQLite file of another program is refused. */
const applicationId = 0x53475445;
const schemaVersion = 2;

// Schema version 2: the candidate's e-mail, normalised, for the timeline's lookup by e-mail. A
// column generated from the record, so a purge (which removes the e-mail) or a prune (which removes
// the row) removes it from the index too.
const emailColumns = `
ALTER TABLE decisions ADD COLUMN email TEXT GENERATED ALWAYS AS (${normalizedEmailSql("record ->> '$.email'")}) VIRTUAL;
CREATE INDEX decisions_by_email ON decisions (tenant, email, opportunity_id);
ALTER TABLE invitations ADD COLUMN email TEXT GENERATED ALWAYS AS (${normalizedEmailSql("record ->> '$.candidate.email'")}) VIRTUAL;
CREATE INDEX invitations_by_email ON invitations (tenant, email, opportunity_id);
`;

// The console's reads of a tenant's newest decisions and its week (create-console-operations.ts):
// the tenant from the index, not from each large record's JSON. Added to older files when opened.
const consoleIndex = `
CREATE INDEX IF NOT EXISTS decisions_by_tenant_created ON decisions (tenant, created_at);
`;

// Every record is its JSON in `record`; the columns a query filters or sorts on are generated from
// it, so they cannot drift from what is returned. `seq` is arrival order.
const schema = `
CREATE TABLE inbox (
  seq INTEGER PRIMARY KEY,
  record TEXT NOT NULL,
  id TEXT GENERATED ALWAYS AS (record ->> '$.id') VIRTUAL,
  tenant TEXT GENERATED ALWAYS AS (record ->> '$.tenant') VIRTUAL,
  status TEXT GENERATED ALWAYS AS (record ->> '$.status') VIRTUAL,
  opportunity_id TEXT GENERATED ALWAYS AS (record ->> '$.opportunityId') VIRTUAL,
  received_at INTEGER GENERATED ALWAYS AS (record ->> '$.receivedAt') VIRTUAL,
  decision_id TEXT GENERATED ALWAYS AS (record ->> '$.decisionId') VIRTUAL
);
CREATE UNIQUE INDEX inbox_by_id ON inbox (id);
CREATE INDEX inbox_by_status ON inbox (status, tenant, seq);
CREATE INDEX inbox_by_opportunity ON inbox (tenant, opportunity_id);
CREATE INDEX inbox_by_received ON inbox (received_at);

CREATE TABLE dedupe (
  tenant TEXT NOT NULL,
  token TEXT NOT NULL,
  at INTEGER NOT NULL,
  inbox_id TEXT NOT NULL,
  PRIMARY KEY (tenant, token)
) WITHOUT ROWID;
CREATE INDEX dedupe_by_at ON dedupe (at);

CREATE TABLE decisions (
  seq INTEGER PRIMARY KEY,
  record TEXT NOT NULL,
  id TEXT GENERATED ALWAYS AS (record ->> '$.id') VIRTUAL,
  tenant TEXT GENERATED ALWAYS AS (record ->> '$.tenant') VIRTUAL,
  opportunity_id TEXT GENERATED ALWAYS AS (record ->> '$.opportunityId') VIRTUAL,
  inbox_id TEXT GENERATED ALWAYS AS (record ->> '$.inboxId') VIRTUAL,
  created_at INTEGER GENERATED ALWAYS AS (record ->> '$.createdAt') VIRTUAL
);
CREATE UNIQUE INDEX decisions_by_id ON decisions (id);
CREATE INDEX decisions_by_opportunity ON decisions (tenant, opportunity_id);
CREATE INDEX decisions_by_inbox ON decisions (inbox_id);
CREATE INDEX decisions_by_created ON decisions (created_at);

CREATE TABLE actions (
  seq INTEGER PRIMARY KEY,
  record TEXT NOT NULL,
  id TEXT GENERATED ALWAYS AS (record ->> '$.id') VIRTUAL,
  tenant TEXT GENERATED ALWAYS AS (record ->> '$.tenant') VIRTUAL,
  opportunity_id TEXT GENERATED ALWAYS AS (record ->> '$.opportunityId') VIRTUAL,
  decision_id TEXT GENERATED ALWAYS AS (record ->> '$.decisionId') VIRTUAL,
  idx INTEGER GENERATED ALWAYS AS (record ->> '$.index') VIRTUAL,
  status TEXT GENERATED ALWAYS AS (record ->> '$.status') VIRTUAL,
  next_attempt_at INTEGER GENERATED ALWAYS AS (record ->> '$.nextAttemptAt') VIRTUAL,
  created_at INTEGER GENERATED ALWAYS AS (record ->> '$.createdAt') VIRTUAL
);
CREATE UNIQUE INDEX actions_by_id ON actions (id);
CREATE INDEX actions_by_due ON actions (status, next_attempt_at, created_at, idx);
CREATE INDEX actions_by_decision ON actions (decision_id, status);
CREATE INDEX actions_by_opportunity ON actions (tenant, opportunity_id);

CREATE TABLE invitations (
  seq INTEGER PRIMARY KEY,
  record TEXT NOT NULL,
  id TEXT GENERATED ALWAYS AS (record ->> '$.id') VIRTUAL,
  tenant TEXT GENERATED ALWAYS AS (record ->> '$.tenant') VIRTUAL,
  opportunity_id TEXT GENERATED ALWAYS AS (record ->> '$.opportunityId') VIRTUAL,
  status TEXT GENERATED ALWAYS AS (record ->> '$.status') VIRTUAL
);
CREATE UNIQUE INDEX invitations_by_id ON invitations (id);
CREATE INDEX invitations_by_opportunity ON invitations (tenant, opportunity_id, status);

${emailColumns}
${consoleIndex}
CREATE TABLE tombstones (
  tenant TEXT NOT NULL,
  opportunity_id TEXT NOT NULL,
  purged_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, opportunity_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS credentials (
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (tenant, kind)
) WITHOUT ROWID;

CREATE TABLE probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
`;

/** Brings a version 1 store to this version, in one transaction; its records are not rewritten. */
function migrateSchema(db: Database.Database, from: number): void {
  if (from !== 1) return;
  db.transaction(() => {
    db.exec(emailColumns);
    db.pragma(`user_version = ${schemaVersion}`);
  }).immediate();
}
/**
 * Tables added since schema version 1 without changing what the others hold: created when missing,
 * so a store written before them opens as it is.
 */
const additiveTables = `
CREATE TABLE IF NOT EXISTS credentials (
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (tenant, kind)
) WITHOUT ROWID;
${consoleIndex}`;

/** Creates the tables of an empty database, in one transaction. */
function createSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(schema);
    db.pragma(`application_id = ${applicationId}`);
    db.pragma(`user_version = ${schemaVersion}`);
  }).immediate();
}
