import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsyncAdapter } from '../../../../src/store/lowdb/create-fsync-adapter.js';

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
