import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createSecretSources,
  maxSecretFileBytes,
  readSecretFile,
} from '../../../src/config/read-secret-file.js';
import {
  envSecretSources,
  lookUpSecret,
  type SecretLookup,
  suggestEnvName,
  tenantEnvPrefix,
} from '../../../src/config/resolve-secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'stagegate-secrets-'));
mkdirSync(join(dir, 'acme', 'lever'), { recursive: true });
mkdirSync(join(dir, 'globex'));
writeFileSync(join(dir, 'acme', 'vendor-key'), 'acme-vendor-key\n');
writeFileSync(join(dir, 'acme', 'lever', 'api-key'), 'acme-lever-key');
writeFileSync(join(dir, 'acme', 'empty'), '  \n');
writeFileSync(join(dir, 'acme', 'big'), 'x'.repeat(maxSecretFileBytes + 1));
writeFileSync(join(dir, 'globex', 'vendor-key'), 'globex-vendor-key');
symlinkSync(join(dir, 'acme', 'vendor-key'), join(dir, 'acme', 'inside-link'));
symlinkSync(join(dir, 'globex', 'vendor-key'), join(dir, 'acme', 'to-globex'));
symlinkSync('/dev/zero', join(dir, 'acme', 'to-dev-zero'));
symlinkSync(join(dir, 'acme', 'loop-b'), join(dir, 'acme', 'loop-a'));
symlinkSync(join(dir, 'acme', 'loop-a'), join(dir, 'acme', 'loop-b'));
execFileSync('mkfifo', [join(dir, 'acme', 'fifo')]);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sources = createSecretSources({ env: {}, secretsDir: dir });
const file = (name: string): SecretLookup =>
  lookUpSecret('acme', { file: name }, sources, ['provider', 'apiKey']);
const env = (name: string, values: Record<string, string> = {}): SecretLookup =>
  lookUpSecret('acme', { env: name }, envSecretSources(values), ['lever', 'apiKey']);

describe("a tenant's environment variables", () => {
  it('are its id in upper case, - as _, and two underscores', () => {
    expect(tenantEnvPrefix('acme')).toBe('ACME__');
    expect(tenantEnvPrefix('big-co')).toBe('BIG_CO__');
    expect(tenantEnvPrefix('stagegate')).toBe('STAGEGATE__');
  });

  it('are read when named with its prefix', () => {
    expect(env('ACME__LEVER_API_KEY', { ACME__LEVER_API_KEY: ' k-1 ' })).toEqual({
      kind: 'value',
      value: 'k-1',
    });
    expect(env('ACME__LEVER_API_KEY')).toMatchObject({ kind: 'missing', code: 'missing-secret' });
  });

  it.each([
    ['another tenant’s', 'GLOBEX__LEVER_API_KEY'],
    ['the operator’s', 'STAGEGATE_ADMIN_TOKEN'],
    ['the old single-underscore form', 'ACME_LEVER_API_KEY'],
    ['a name differing only in case', 'acme__LEVER_API_KEY'],
    ['the bare prefix', 'ACME__'],
  ])('are refused when %s (%s), even when set', (_what, name) => {
    const found = env(name, { [name]: 'canary-value-4411' });
    expect(found).toMatchObject({ kind: 'refused', code: 'secret-scope' });
    expect(JSON.stringify(found)).not.toContain('canary-value-4411');
  });

  it('does not repeat a name that is not an upper-case variable name: it may be a pasted key', () => {
    const found = env('vk_live_51Habc');
    expect(found.kind).toBe('refused');
    if (found.kind === 'value') throw new Error('refused expected');
    expect(`${found.message} ${found.hint}`).not.toMatch(/vk_live|VK_LIVE|51Habc/i);
    expect(found.hint).toContain('ACME__LEVER_API_KEY');
  });

  it('suggests the name to use', () => {
    expect(suggestEnvName('acme', 'ACME_LEVER_API_KEY', ['lever', 'apiKey'])).toBe('ACME__LEVER_API_KEY');
    expect(suggestEnvName('big-co', 'BIG_CO_VENDOR_KEY', ['provider', 'apiKey'])).toBe('BIG_CO__VENDOR_KEY');
    expect(suggestEnvName('acme', 'GLOBEX__VENDOR_KEY', ['provider', 'apiKey'])).toBe('ACME__VENDOR_KEY');
    expect(suggestEnvName('acme', 'X', ['lever', 'webhookTokens', 'candidateStageChange', 0])).toBe(
      'ACME__LEVER_STAGE_CHANGE_TOKEN',
    );
  });
});

describe("a tenant's secret files", () => {
  it('are read from its own directory, subdirectories and links that stay inside included', () => {
    expect(file('vendor-key')).toEqual({ kind: 'value', value: 'acme-vendor-key' });
    expect(file('lever/api-key')).toEqual({ kind: 'value', value: 'acme-lever-key' });
    expect(file('inside-link')).toEqual({ kind: 'value', value: 'acme-vendor-key' });
  });

  it('are missing (the tenant is not ready) when absent or empty', () => {
    expect(file('nothing-here')).toMatchObject({ kind: 'missing', code: 'missing-secret' });
    expect(file('empty')).toMatchObject({ kind: 'missing', message: expect.stringContaining('is empty') });
    const noDir = lookUpSecret('acme', { file: 'vendor-key' }, envSecretSources({}), ['provider', 'apiKey']);
    expect(noDir).toMatchObject({
      kind: 'missing',
      message: expect.stringContaining('STAGEGATE_SECRETS_DIR'),
    });
  });

  it.each([
    ['/etc/passwd', 'secret-scope'],
    ['../globex/vendor-key', 'secret-scope'],
    ['lever/../../globex/vendor-key', 'secret-scope'],
    ['./vendor-key', 'secret-scope'],
    ['to-globex', 'secret-file'],
    ['to-dev-zero', 'secret-file'],
    ['fifo', 'secret-file'],
    ['lever', 'secret-file'],
    ['big', 'secret-file'],
    ['loop-a', 'secret-file'],
  ])('refuse %s (%s), without reading it', (name, code) => {
    const found = file(name);
    expect(found).toMatchObject({ kind: 'refused', code });
    expect(JSON.stringify(found)).not.toContain('globex-vendor-key');
  });

  it('says why a file is refused', () => {
    expect(readSecretFile(join(dir, 'acme'), 'fifo')).toEqual({
      kind: 'refused',
      why: 'it is a FIFO, not a regular file',
    });
    expect(readSecretFile(join(dir, 'acme'), 'to-globex')).toEqual({
      kind: 'refused',
      why: 'it is a symbolic link that leads out of the directory',
    });
    expect(readSecretFile(join(dir, 'acme'), 'lever')).toEqual({
      kind: 'refused',
      why: 'it is a directory, not a regular file',
    });
    expect(readSecretFile(join(dir, 'nobody'), 'vendor-key')).toEqual({ kind: 'missing' });
  });
});
