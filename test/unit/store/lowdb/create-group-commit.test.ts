import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StagegateError } from '../../../../src/kernel/errors.js';
import { createGroupCommit } from '../../../../src/store/lowdb/create-group-commit.js';

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
