import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StagegateError } from '../../../../src/kernel/errors.js';
import { createFsyncAdapter, createGroupCommit } from '../../../../src/store/lowdb/group-commit.js';

/** A write that takes a snapshot of `state` when called and finishes when the test says so. */
function createControlledWrite(state: { value: number }) {
  const writes: { snapshot: number; finish: () => void; fail: (error: Error) => void }[] = [];
  const write = () =>
    new Promise<void>((resolve, reject) => {
      writes.push({ snapshot: state.value, finish: resolve, fail: reject });
    });
  return { writes, write };
}

describe('createGroupCommit', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('carries a burst of changes in one write, started one interval after the first', async () => {
    const state = { value: 0 };
    const { writes, write } = createControlledWrite(state);
    const group = createGroupCommit({ intervalMs: 5, write, file: 'acme.json' });
    const committed = Array.from({ length: 50 }, () => {
      state.value += 1;
      return group.commit();
    });
    await vi.advanceTimersByTimeAsync(4);
    expect(writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes.map((w) => w.snapshot)).toEqual([50]);
    writes[0]?.finish();
    await expect(Promise.all(committed)).resolves.toHaveLength(50);
  });

  it('answers a change made during a write only after the next write', async () => {
    const state = { value: 0 };
    const { writes, write } = createControlledWrite(state);
    const group = createGroupCommit({ intervalMs: 5, write, file: 'acme.json' });
    state.value = 1;
    const first = group.commit();
    await vi.advanceTimersByTimeAsync(5);
    state.value = 2;
    let secondDone = false;
    const second = group.commit().then(() => {
      secondDone = true;
    });
    writes[0]?.finish();
    await first;
    expect(secondDone).toBe(false);
    await vi.advanceTimersByTimeAsync(5);
    expect(writes.map((w) => w.snapshot)).toEqual([1, 2]);
    writes[1]?.finish();
    await second;
    expect(secondDone).toBe(true);
  });

  it('rejects the waiters of a failed write with STORE_FAILED naming the file, and writes again on the next change', async () => {
    const state = { value: 0 };
    const { writes, write } = createControlledWrite(state);
    const failures: StagegateError[] = [];
    const group = createGroupCommit({
      intervalMs: 5,
      write,
      file: '/data/acme.json',
      onWriteFailed: (error) => failures.push(error),
    });
    state.value = 1;
    const lost = group.commit();
    await vi.advanceTimersByTimeAsync(5);
    writes[0]?.fail(new Error('ENOSPC: no space left on device'));
    const error = await lost.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StagegateError);
    expect(error).toMatchObject({ code: 'STORE_FAILED' });
    expect((error as Error).message).toContain('/data/acme.json');
    expect((error as Error).message).toContain('ENOSPC');
    expect(failures).toHaveLength(1);

    // Nothing retries on its own; settle does, and the new write carries the earlier change too.
    await vi.advanceTimersByTimeAsync(100);
    expect(writes).toHaveLength(1);
    const settled = group.settle();
    await vi.advanceTimersByTimeAsync(5);
    expect(writes.map((w) => w.snapshot)).toEqual([1, 1]);
    writes[1]?.finish();
    await expect(settled).resolves.toBeUndefined();
  });

  it('turns a write that throws at once into a rejection', async () => {
    const group = createGroupCommit({
      intervalMs: 0,
      write: () => {
        throw new Error('cannot serialise');
      },
      file: 'acme.json',
    });
    const committed = group.commit().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    await expect(committed).resolves.toMatchObject({ code: 'STORE_FAILED', message: /cannot serialise/ });
  });

  it('settles at once when nothing is pending', async () => {
    const write = vi.fn(async () => {});
    const group = createGroupCommit({ intervalMs: 5, write, file: 'acme.json' });
    await expect(group.settle()).resolves.toBeUndefined();
    expect(write).not.toHaveBeenCalled();
  });

  it('flush writes now instead of after the interval', async () => {
    const write = vi.fn(async () => {});
    const group = createGroupCommit({ intervalMs: 60_000, write, file: 'acme.json' });
    const committed = group.commit();
    await group.flush();
    await committed;
    expect(write).toHaveBeenCalledTimes(1);
  });
});

describe('createFsyncAdapter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagegate-adapter-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([true, false])('writes the JSON by way of a renamed temporary file (fsync: %s)', async (fsync) => {
    const file = join(dir, 'acme.json');
    const adapter = createFsyncAdapter<{ n: number }>(file, { fsync });
    await adapter.write({ n: 1 });
    await adapter.write({ n: 2 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ n: 2 });
    expect(await readdir(dir)).toEqual(['acme.json']);
    await expect(adapter.read()).resolves.toEqual({ n: 2 });
  });

  it('serialises before write returns, so later changes are not in this write', async () => {
    const file = join(dir, 'acme.json');
    const data = { n: 1 };
    const written = createFsyncAdapter<{ n: number }>(file).write(data);
    data.n = 2;
    await written;
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ n: 1 });
  });

  it('reads a missing file as null', async () => {
    await expect(createFsyncAdapter(join(dir, 'nobody.json')).read()).resolves.toBeNull();
  });

  it('refuses a truncated file with STORE_FAILED naming it', async () => {
    const file = join(dir, 'acme.json');
    await writeFile(file, '{"version":1,"tenant":"ac');
    const error = await createFsyncAdapter(file)
      .read()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_FAILED', details: { file } });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/corrupt or truncated/);
  });

  it('fails the write with the cause when the directory is gone', async () => {
    const adapter = createFsyncAdapter(join(dir, 'gone', 'acme.json'));
    await expect(adapter.write({})).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
