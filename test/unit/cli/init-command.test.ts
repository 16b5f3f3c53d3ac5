import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { tenantIdMaxLength, tenantIdPattern } from '../../../src/config/suggest-name.js';
import { captureIo } from '../../support/capture-io.js';

// What an account manager does on day one, in a temp dir: init, then validate and test the result.
const rulesDir = resolve(import.meta.dirname, '../../../rules');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stagegate-init-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const cli = async (argv: string[], env: Record<string, string> = {}) => {
  const io = captureIo({ cwd: dir, env: { STAGEGATE_RULES_DIR: rulesDir, ...env } });
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
};

/** The variable names `init` printed, in order. */
const printedNames = (out: string) =>
  [...out.matchAll(/^ {2}([A-Z0-9_]+__[A-Z_]+) /gm)].map((m) => m[1] ?? '');

describe('stagegate init', () => {
  it('writes a tenant and its cases that validate and pass at full coverage, and names its variables', async () => {
    const init = await cli(['init', 'zeta']);
    expect(init).toMatchObject({ code: 0, err: '' });
    expect(init.out).toContain('wrote tenants/zeta.yaml and tenants/zeta.test.yaml');
    expect(printedNames(init.out)).toEqual([
      'ZETA__LEVER_API_KEY',
      'ZETA__LEVER_STAGE_TOKEN',
      'ZETA__LEVER_ARCHIVE_TOKEN',
      'ZETA__LEVER_HIRED_TOKEN',
      'ZETA__LEVER_DELETED_TOKEN',
    ]);
    const tenant = readFileSync(join(dir, 'tenants/zeta.yaml'), 'utf8');
    expect(tenant.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/tenant.schema.json');
    expect(readFileSync(join(dir, 'tenants/zeta.test.yaml'), 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../schemas/fixture.schema.json',
    );

    const validate = await cli(['validate', 'tenants']);
    expect(validate.out).toMatch(/2 files checked: 0 errors, 5 warnings/);
    expect(validate.code).toBe(0);
    const test = await cli(['test', 'tenants', '--coverage-min', '100']);
    expect(test.out).toMatch(/coverage zeta: 100% of 24 rules/);
    expect(test.out).toMatch(/23 passed, 0 failed/);
    expect(test.code).toBe(0);

    // The names printed are the ones the tenant reads: with them set, not even a warning is left.
    const env = Object.fromEntries(printedNames(init.out).map((name) => [name, `value-of-${name}`]));
    const strict = await cli(['validate', '--require-secrets', 'tenants/zeta.yaml'], env);
    expect(strict.out).toMatch(/1 file checked: 0 errors, 0 warnings/);
    expect(strict.code).toBe(0);
  });

  it('with --vendor-url: a greenhouse-partner tenant, its key, and the host the operator must allow', async () => {
    const init = await cli(['init', 'big-co', '--vendor-url', 'https://assess.vendor.example/partner/']);
    expect(init.code).toBe(0);
    expect(printedNames(init.out)).toContain('BIG_CO__VENDOR_KEY');
    expect(init.out).toMatch(/STAGEGATE_ALLOWED_HOSTS +must list assess\.vendor\.example/);
    expect(readFileSync(join(dir, 'tenants/big-co.yaml'), 'utf8')).toContain(
      'baseUrl: https://assess.vendor.example/partner\n',
    );
    expect((await cli(['validate', 'tenants/big-co.yaml'])).code).toBe(2);
    const allowed = await cli(['validate', 'tenants'], { STAGEGATE_ALLOWED_HOSTS: 'assess.vendor.example' });
    expect(allowed.out).toMatch(/0 errors/);
    expect(allowed.code).toBe(0);
    expect((await cli(['test', 'tenants/big-co.test.yaml', '--coverage-min', '100'])).code).toBe(0);
  });

  it('refuses an invalid id with the rule and a valid id to use, and writes nothing', async () => {
    const cases: Array<[string, string | null]> = [
      ['Zeta', 'zeta'],
      ['big_co', 'big-co'],
      ['big--co', 'big-co'],
      ['zeta-', 'zeta'],
      ['Ünïcode', 'n-code'],
      ['___', null],
    ];
    for (const [id, suggestion] of cases) {
      const result = await cli(['init', id]);
      expect(result.code).toBe(2);
      expect(result.err).toContain(
        `'${id}' is not a valid tenant id: a tenant id is lower-case letters and digits, in words joined by single dashes, at most 63 characters (e.g. zeta or big-co)`,
      );
      if (suggestion === null) expect(result.err).not.toContain('try');
      else expect(result.err).toContain(`; try '${suggestion}'`);
    }
    const tooLong = await cli(['init', 'a'.repeat(64)]);
    expect(tooLong.code).toBe(2);
    expect(tooLong.err).toContain(`try '${'a'.repeat(63)}'`);
    expect(existsSync(join(dir, 'tenants'))).toBe(false);
  });

  it('checks the id by the one rule validate uses, the schema’s', async () => {
    const schema = JSON.parse(readFileSync(resolve(rulesDir, '../schemas/tenant.schema.json'), 'utf8')) as {
      properties: { tenant: { pattern: string; maxLength: number } };
    };
    expect(tenantIdPattern.source).toBe(schema.properties.tenant.pattern);
    expect(tenantIdMaxLength).toBe(schema.properties.tenant.maxLength);
    // What init suggests, validate accepts as the tenant's id (and the other way round).
    const refused = await cli(['init', 'Big_Co']);
    const suggested = /try '([^']+)'/.exec(refused.err)?.[1] ?? '';
    expect(await cli(['init', suggested])).toMatchObject({ code: 0 });
    expect(await cli(['validate', join(dir, 'tenants', `${suggested}.yaml`)])).toMatchObject({ code: 0 });
  });

  it('refuses a vendor URL that is not https', async () => {
    const result = await cli(['init', 'zeta', '--vendor-url', 'http://vendor.example/partner']);
    expect(result.code).toBe(2);
    expect(result.err).toContain("--vendor-url must be the vendor's https partner API root, e.g. https://");
    expect(existsSync(join(dir, 'tenants'))).toBe(false);
  });

  it('does not overwrite a tenant or a test file that exists: exit 1, both named, nothing written', async () => {
    expect((await cli(['init', 'zeta'])).code).toBe(0);
    writeFileSync(join(dir, 'tenants/zeta.yaml'), 'tenant: zeta # edited\n');
    const again = await cli(['init', 'zeta']);
    expect(again.code).toBe(1);
    expect(again.err).toContain(
      'tenant zeta exists already (tenants/zeta.yaml, tenants/zeta.test.yaml); nothing was written',
    );
    expect(readFileSync(join(dir, 'tenants/zeta.yaml'), 'utf8')).toBe('tenant: zeta # edited\n');

    // Only the fixture left over (the tenant renamed away): still refused, the tenant not written.
    rmSync(join(dir, 'tenants/zeta.yaml'));
    const fixtureOnly = await cli(['init', 'zeta']);
    expect(fixtureOnly.code).toBe(1);
    expect(fixtureOnly.err).toContain('(tenants/zeta.test.yaml)');
    expect(readdirSync(join(dir, 'tenants'))).toEqual(['zeta.test.yaml']);
  });
});
