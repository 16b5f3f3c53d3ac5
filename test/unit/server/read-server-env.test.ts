import { describe, expect, it } from 'vitest';
import { StagegateError } from '../../../src/kernel/errors.js';
import { readServerEnv } from '../../../src/server/read-server-env.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    readServerEnv(env, '/srv/stagegate');
  } catch (error) {
    expect(error).toBeInstanceOf(StagegateError);
    expect((error as StagegateError).code).toBe('ENV_INVALID');
    return ((error as StagegateError).details as { problems: string[] }).problems;
  }
  return [];
};

describe('readServerEnv', () => {
  it('has a default for everything, with directories under the working directory', () => {
    const env = readServerEnv({}, '/srv/stagegate');
    expect(env).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      tenantsDir: '/srv/stagegate/tenants',
      dataDir: '/srv/stagegate/data',
      replayWindowMs: 72 * 3_600_000,
      retentionMs: 30 * 86_400_000,
      pollIntervalMs: 3_600_000,
      retrySchedule: null,
      adminToken: null,
      store: 'sqlite',
      databaseUrl: null,
      leverRatePerSecond: 9.6,
      httpTimeoutMs: 10_000,
      claimLeaseMs: 15_000,
    });
  });

  it('refuses an admin token under 32 characters, without repeating it; unset keeps the admin API off', () => {
    expect(readServerEnv({}, '/').adminToken).toBeNull();
    const long = 'a'.repeat(32);
    expect(readServerEnv({ STAGEGATE_ADMIN_TOKEN: long }, '/').adminToken).toBe(long);
    const problems = problemsOf({ STAGEGATE_ADMIN_TOKEN: 'short-canary-token' });
    expect(problems).toEqual([
      'STAGEGATE_ADMIN_TOKEN must be at least 32 characters, got 18 (make one with: openssl rand -hex 32; leave it unset to keep the admin API off)',
    ]);
    expect(problems.join()).not.toContain('short-canary-token');
  });

  it('reads the allowed hosts and the secrets directory', () => {
    const env = readServerEnv(
      { STAGEGATE_ALLOWED_HOSTS: 'vendor.example, 127.0.0.1', STAGEGATE_SECRETS_DIR: 'secrets' },
      '/srv/stagegate',
    );
    expect(env).toMatchObject({
      allowedHosts: ['vendor.example', '127.0.0.1'],
      secretsDir: '/srv/stagegate/secrets',
    });
    expect(readServerEnv({}, '/').secretsDir).toBeNull();
    expect(problemsOf({ STAGEGATE_ALLOWED_HOSTS: 'https://vendor.example' })).toHaveLength(1);
  });

  it('reads the Lever rate, and refuses one that is not a positive number', () => {
    expect(readServerEnv({ STAGEGATE_LEVER_RATE: '5' }, '/').leverRatePerSecond).toBe(5);
    expect(problemsOf({ STAGEGATE_LEVER_RATE: '0' })).toEqual([
      'STAGEGATE_LEVER_RATE must be a number of requests per second above 0 and at most 1000, got "0"',
    ]);
    expect(problemsOf({ STAGEGATE_LEVER_RATE: 'fast' })).toHaveLength(1);
  });

  it('reads the HTTP timeout in seconds, decimals allowed, and refuses zero or a word', () => {
    expect(readServerEnv({ STAGEGATE_HTTP_TIMEOUT_SECONDS: '0.2' }, '/').httpTimeoutMs).toBe(200);
    expect(readServerEnv({ STAGEGATE_HTTP_TIMEOUT_SECONDS: '30' }, '/').httpTimeoutMs).toBe(30_000);
    expect(problemsOf({ STAGEGATE_HTTP_TIMEOUT_SECONDS: '0' })).toEqual([
      'STAGEGATE_HTTP_TIMEOUT_SECONDS must be a number of seconds from 0.001 to 3600, got "0"',
    ]);
    expect(problemsOf({ STAGEGATE_HTTP_TIMEOUT_SECONDS: 'slow' })).toHaveLength(1);
    expect(problemsOf({ STAGEGATE_HTTP_TIMEOUT_SECONDS: '86400' })).toHaveLength(1);
  });

  it('reads the claim lease in seconds, and refuses one under 2 s (claims are renewed every second)', () => {
    expect(readServerEnv({ STAGEGATE_CLAIM_LEASE_SECONDS: '4.5' }, '/').claimLeaseMs).toBe(4_500);
    expect(problemsOf({ STAGEGATE_CLAIM_LEASE_SECONDS: '1' })).toEqual([
      'STAGEGATE_CLAIM_LEASE_SECONDS must be a number of seconds from 2 to 3600, got "1"',
    ]);
  });

  it('reads the retention in days, decimals allowed, and refuses zero or a word', () => {
    expect(readServerEnv({ STAGEGATE_RETENTION_DAYS: '7' }, '/').retentionMs).toBe(7 * 86_400_000);
    expect(readServerEnv({ STAGEGATE_RETENTION_DAYS: '0.5' }, '/').retentionMs).toBe(43_200_000);
    expect(problemsOf({ STAGEGATE_RETENTION_DAYS: '0' })).toEqual([
      'STAGEGATE_RETENTION_DAYS must be a number of days above 0 and at most 3650, got "0"',
    ]);
    expect(problemsOf({ STAGEGATE_RETENTION_DAYS: 'forever' })).toHaveLength(1);
  });

  it('names every variable that is wrong, at once', () => {
    const problems = problemsOf({ PORT: '70000', STAGEGATE_STORE: 'mysql', LOG_LEVEL: 'loud' });
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual([
      'PORT',
      'STAGEGATE_STORE',
      'LOG_LEVEL',
    ]);
  });

  it('takes the postgres store with a DATABASE_URL, and never quotes the URL back', () => {
    const url = 'postgres://stagegate:pw-123@db.internal:5432/stagegate';
    expect(readServerEnv({ STAGEGATE_STORE: 'postgres', DATABASE_URL: url }, '/')).toMatchObject({
      store: 'postgres',
      databaseUrl: url,
    });
    expect(readServerEnv({ DATABASE_URL: url }, '/')).toMatchObject({ store: 'sqlite', databaseUrl: null });
    expect(problemsOf({ STAGEGATE_STORE: 'postgres' })).toEqual([
      'DATABASE_URL is required when STAGEGATE_STORE=postgres (postgres://user:password@host:5432/db)',
    ]);
    const problems = problemsOf({ STAGEGATE_STORE: 'postgres', DATABASE_URL: 'mysql://root:pw-123@db/x' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('DATABASE_URL must be a postgres://');
    expect(problems[0]).not.toContain('pw-123');
  });
});

describe('readServerEnv: the Lever OAuth app and the secret key', () => {
  const app = {
    STAGEGATE_LEVER_CLIENT_ID: 'client-abc',
    STAGEGATE_LEVER_CLIENT_SECRET: 'client-secret-never-shown-5521',
    STAGEGATE_LEVER_REDIRECT_URI: 'https://stagegate.example/oauth/lever/callback',
    STAGEGATE_SECRET_KEY: 'ab'.repeat(32),
  };

  it('reads the app with Lever production hosts and the partner scopes, postings read included', () => {
    const env = readServerEnv(app, '/srv/stagegate');
    expect(env.leverOAuth).toMatchObject({
      clientId: 'client-abc',
      env: 'production',
      authorizeUrl: 'https://auth.lever.co/authorize',
      tokenUrl: 'https://auth.lever.co/oauth/token',
      audience: 'https://api.lever.co/v1/',
    });
    expect(env.leverOAuth?.scopes).toEqual(
      expect.arrayContaining(['offline_access', 'webhooks:write:admin', 'postings:read:admin']),
    );
    expect(String(env.leverOAuth?.clientSecret)).toBe('[secret]');
    expect(env.secretKeys?.current.key.length).toBe(32);
    expect(readServerEnv({ ...app, STAGEGATE_LEVER_ENV: 'sandbox' }, '/').leverOAuth?.tokenUrl).toBe(
      'https://sandbox-lever.auth0.com/oauth/token',
    );
    expect(readServerEnv({}, '/').leverOAuth).toBeNull();
  });

  it('refuses an override host the operator did not allow, a bad key, and an app without a key', () => {
    const problems = problemsOf({
      ...app,
      STAGEGATE_LEVER_TOKEN_URL: 'http://127.0.0.1:9999/oauth/token',
      STAGEGATE_SECRET_KEY_OLD: 'too-short',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^STAGEGATE_SECRET_KEY_OLD must be 32 bytes/),
      'STAGEGATE_LEVER_TOKEN_URL goes to 127.0.0.1, which STAGEGATE_ALLOWED_HOSTS does not list',
    ]);
    expect(problems.join(' ')).not.toContain('too-short');
    const allowed = readServerEnv(
      {
        ...app,
        STAGEGATE_LEVER_TOKEN_URL: 'http://127.0.0.1:9999/oauth/token',
        STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
      },
      '/',
    );
    expect(allowed.leverOAuth?.tokenUrl).toBe('http://127.0.0.1:9999/oauth/token');
    const { STAGEGATE_SECRET_KEY: _key, ...noKey } = app;
    expect(problemsOf(noKey)).toEqual([expect.stringMatching(/^STAGEGATE_SECRET_KEY must be set/)]);
    expect(problemsOf({ ...app, STAGEGATE_LEVER_REDIRECT_URI: 'https://x.example/elsewhere' })).toEqual([
      expect.stringMatching(/^STAGEGATE_LEVER_REDIRECT_URI must be/),
    ]);
  });
});
