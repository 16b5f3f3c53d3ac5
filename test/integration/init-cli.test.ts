import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/load-shipped-tenant.js';

// `stagegate init` as an account manager runs it: the built CLI (bin/stagegate.js; `npm test`
// builds dist/ first) in a directory of their own, then validate and test on what it wrote.
const run = promisify(execFile);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagegate-init-cli-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stagegate(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { PATH: process.env.PATH ?? '', STAGEGATE_RULES_DIR: join(repoRoot, 'rules') };
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'bin/stagegate.js'), ...argv], {
      cwd: dir,
      env,
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: failed.stdout ?? '', err: failed.stderr ?? '' };
  }
}

describe('stagegate init, then validate and test (the built CLI)', () => {
  it('passes both on the files it wrote, and refuses to write them twice', async () => {
    const init = await stagegate('init', 'zeta');
    expect(init.err).toBe('');
    expect(init.code).toBe(0);
    expect(init.out).toContain('ZETA__LEVER_API_KEY');

    const validate = await stagegate('validate', 'tenants');
    expect(validate.out).toMatch(/0 errors/);
    expect(validate.code).toBe(0);
    const test = await stagegate('test', '--coverage-min', '100');
    expect(test.out).toMatch(/23 passed, 0 failed/);
    expect(test.code).toBe(0);

    const again = await stagegate('init', 'zeta');
    expect(again.code).toBe(1);
    expect(again.err).toContain('tenant zeta exists already');
    const invalid = await stagegate('init', 'Zeta');
    expect(invalid.code).toBe(2);
    expect(invalid.err).toContain("try 'zeta'");
  });
});
