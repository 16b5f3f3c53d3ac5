import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StagegateError } from '../../../../src/kernel/errors.js';
import { type BatchCommit, createBatchCommit } from '../../../../src/store/sqlite/create-batch-commit.js';

let db: Database.Database;
let batch: BatchCommit;
let failures: StagegateError[];

beforeEach(() => {
  db = new Database(':memory:');
  db.exec('CREATE TABLE notes (text TEXT NOT NULL)');
  failures = [];
  batch = createBatchCommit({
    db,
    intervalMs: 0,
    file: 'notes.sqlite',
    onCommitFailed: (error) => failures.push(error),
  });
});

afterEach(() => db.close());

const insert = (text: string) => () => db.prepare('INSERT INTO notes (text) VALUES (?)').run(text).changes;
const texts = () => db.prepare('SELECT text FROM notes ORDER BY rowid').pluck().all();

describe('createBatchCommit', () => {
  it('answers each change of a tick with its result, once the transaction is over', async () => {
    const answered = await Promise.all([
      batch.run(insert('a')),
      batch.run(insert('b')),
      batch.run(insert('c')),
    ]);
    expect(answered).toEqual([1, 1, 1]);
    expect(texts()).toEqual(['a', 'b', 'c']);
    expect(db.inTransaction).toBe(false);
  });

  it("undoes only the change that threw a StagegateError (a caller's mistake)", async () => {
    const results = await Promise.allSettled([
      batch.run(insert('a')),
      batch.run(() => {
        insert('half')();
        throw new StagegateError('NOT_FOUND', 'No such thing.');
      }),
      batch.run(insert('c')),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: 'NOT_FOUND' } });
    expect(texts()).toEqual(['a', 'c']);
    expect(failures).toEqual([]);
  });

  it('writes nothing of the batch when a change fails otherwise, and rejects every waiter with STORE_FAILED', async () => {
    const results = await Promise.allSettled([
      batch.run(insert('a')),
      batch.run(() => {
        throw new Error('SQLITE_IOERR: disk I/O error');
      }),
    ]);
    for (const result of results) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { code: 'STORE_FAILED', message: expect.stringContaining('notes.sqlite') },
      });
    }
    expect(texts()).toEqual([]);
    expect(failures).toHaveLength(1);
    // The next batch starts clean.
    await batch.run(insert('b'));
    expect(texts()).toEqual(['b']);
  });

  it('runs what is queued at once on flush', async () => {
    const done = batch.run(insert('a'));
    batch.flush();
    expect(texts()).toEqual(['a']);
    await expect(done).resolves.toBe(1);
  });
});
