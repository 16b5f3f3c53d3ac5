import Database from 'better-sqlite3';
import { StagegateError } from '../../kernel/errors.js';
import {
  additiveTables,
  applicationId,
  createSchema,
  migrateSchema,
  schemaVersion,
} from './create-schema.js';

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
