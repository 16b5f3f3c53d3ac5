import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireStoreLock } from '../../../src/store/store-directory.js';

describe('acquireStoreLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagegate-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the pid to .lock and removes it on release', async () => {
    const lock = await acquireStoreLock(dir);
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await lock.assertHeld();
    await lock.release();
    await expect(readFile(join(dir, '.lock'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('creates a store directory that does not exist yet', async () => {
    const lock = await acquireStoreLock(join(dir, 'new', 'store'));
    expect(await readFile(join(dir, 'new', 'store', '.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
  });

  it('refuses a directory locked by a live process, naming its pid', async () => {
    await writeFile(join(dir, '.lock'), '4242\n');
    const error = await acquireStoreLock(dir, { isProcessAlive: (pid) => pid === 4242 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'STORE_FAILED', details: { pid: 4242 } });
    expect((error as Error).message).toContain('in use by process 4242');
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe('4242\n');
  });

  it('refuses a second open in the same process', async () => {
    const lock = await acquireStoreLock(dir);
    await expect(acquireStoreLock(dir)).rejects.toThrow(`in use by process ${process.pid}`);
    await lock.release();
  });

  it('takes over the lock of a process that is gone, and says so in the log', async () => {
    await writeFile(join(dir, '.lock'), '4242\n');
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const lock = await acquireStoreLock(dir, { isProcessAlive: () => false, log });
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(`${process.pid}\n`);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 40, stalePid: 4242, msg: 'taking over a stale store lock' }),
    ]);
    await lock.release();
  });

  it('takes over a lock with our own pid left by an earlier process (pid 1 in a restarted container)', async () => {
    await writeFile(join(dir, '.lock'), `${process.pid}\n`);
    const lock = await acquireStoreLock(dir, { isProcessAlive: () => true });
    await lock.assertHeld();
    await lock.release();
  });

  it('takes over a lock file without a pid', async () => {
    await writeFile(join(dir, '.lock'), '');
    const lock = await acquireStoreLock(dir, { isProcessAlive: () => true });
    await lock.release();
  });

  it('notices when the lock file no longer names this process', async () => {
    const lock = await acquireStoreLock(dir);
    await writeFile(join(dir, '.lock'), '4242\n');
    await expect(lock.assertHeld()).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await lock.release();
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe('4242\n');
  });
});
