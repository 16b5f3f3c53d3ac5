import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type OperatorToken, parseOperatorTokens } from '../admin/operator-tokens.js';
import { loopbackHosts, parseAllowedHosts } from '../config/check-outbound-hosts.js';
import { parseRetrySchedule } from '../execute/retry-policy.js';
import { minAdminTokenLength } from '../kernel/bearer-token.js';
import { StagegateError } from '../kernel/errors.js';
import { Secret } from '../kernel/secret.js';
import { type LeverOAuthApp, leverAuthServers, leverScopes } from '../lever/oauth/oauth-app.js';
import { parseSecretKey, type SecretKeyRing } from '../store/credentials.js';

export interface ServerEnv {
  port: number;
  host: string;
  tenantsDir: string;
  rulesDir: string;
  dataDir: string;
  /** STAGEGATE_ALLOWED_HOSTS: hosts tenants' base URLs may name besides Lever's own API. */
  allowedHosts: string[];
  /** Tenants' secret files, each tenant's under <secretsDir>/<tenant>/; null: no secret files. */
  secretsDir: string | null;
  logLevel: string;
  /** STAGEGATE_LOG_FORMAT: json lines, pretty lines for a person, or auto (pretty on a terminal). */
  logFormat: 'json' | 'pretty' | 'auto';
  replayWindowMs: number;
  /** How long finished inbox items and decisions (with their actions) are kept. */
  retentionMs: number;
  /** The address vendors reach us at, for callback URLs; derived from the listening address when unset. */
  publicUrl: string | null;
  /** null: generated once and kept in the data directory. */
  callbackSecret: string | null;
  pollIntervalMs: number;
  retrySchedule: number[] | null;
  /** null: the admin API is off unless STAGEGATE_ADMIN_TOKENS names operators. */
  adminToken: string | null;
  /** Every operator's token: STAGEGATE_ADMIN_TOKEN (named `admin`) and STAGEGATE_ADMIN_TOKENS' named ones. */
  operators: OperatorToken[];
  /** STAGEGATE_SESSION_KEY: signs the console's session cookies; null: derived from the operators' tokens. */
  sessionKey: string | null;
  /** The store backend: sqlite (the default), lowdb (one JSON file per tenant) or postgres. */
  store: 'lowdb' | 'sqlite' | 'postgres';
  /** DATABASE_URL, for the postgres store (null otherwise). Holds a password: never logged. */
  databaseUrl: string | null;
  /** Lever requests per second per API key, enrichment and executor together. */
  leverRatePerSecond: number;
  /** How long one request to Lever or a vendor may take, its answer's body included. */
  httpTimeoutMs: number;
  /**
   * On PostgreSQL: how long an instance's claim on an opportunity's deliveries or actions lasts
   * unless renewed (every second); after it, another instance takes the work over.
   */
  claimLeaseMs: number;
  /** The operator's registered Lever app (STAGEGATE_LEVER_CLIENT_ID …); null: no tenant can connect with OAuth. */
  leverOAuth: LeverOAuthApp | null;
  /** STAGEGATE_SECRET_KEY (and _OLD): seals what the service obtains itself; null when unset. */
  secretKeys: SecretKeyRing | null;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Validates the server's environment once, at start; each problem names the variable to fix. */
export function readServerEnv(env: Readonly<Record<string, string | undefined>>, cwd: string): ServerEnv {
  const problems: string[] = [];
  const text = (name: string, fallback: string) => {
    const value = env[name]?.trim() ?? '';
    return value === '' ? fallback : value;
  };
  const number = (name: string, fallback: string, valid: (n: number) => boolean, expected: string) => {
    const raw = text(name, fallback);
    const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
    if (!valid(value)) problems.push(`${name} must be ${expected}, got ${JSON.stringify(raw)}`);
    return value;
  };
  const dir = (name: string, fallback: string) => {
    const value = text(name, fallback);
    return isAbsolute(value) ? value : resolve(cwd, value);
  };

  const port = number('PORT', '8080', (n) => Number.isInteger(n) && n <= 65535, 'a port number (0-65535)');
  const hours = number('STAGEGATE_REPLAY_WINDOW_HOURS', '72', (n) => n > 0, 'a positive number of hours');
  const retentionDays = number(
    'STAGEGATE_RETENTION_DAYS',
    '30',
    (n) => n > 0 && n <= 3650,
    'a number of days above 0 and at most 3650',
  );
  const pollMinutes = number(
    'STAGEGATE_POLL_INTERVAL_MINUTES',
    '60',
    (n) => n > 0,
    'a positive number of minutes',
  );
  // Lever allows 10 requests/s per key. The default keeps 4 % in hand; a key shared with another
  // integration wants less.
  const leverRatePerSecond = number(
    'STAGEGATE_LEVER_RATE',
    '9.6',
    (n) => n > 0 && n <= 1000,
    'a number of requests per second above 0 and at most 1000',
  );
  // Whole milliseconds (what AbortSignal.timeout takes); an hour at most, well inside its timer's range.
  const httpTimeoutSeconds = number(
    'STAGEGATE_HTTP_TIMEOUT_SECONDS',
    '10',
    (n) => n >= 0.001 && n <= 3600,
    'a number of seconds from 0.001 to 3600',
  );
  // Renewed every second by each instance: at least 2 s, so one slow tick does not lose a claim.
  const claimLeaseSeconds = number(
    'STAGEGATE_CLAIM_LEASE_SECONDS',
    '15',
    (n) => n >= 2 && n <= 3600,
    'a number of seconds from 2 to 3600',
  );
  const publicUrl = text('STAGEGATE_PUBLIC_URL', '');
  if (publicUrl !== '' && !/^https?:\/\/[^/]+/.test(publicUrl)) {
    problems.push(`STAGEGATE_PUBLIC_URL must be an http(s) URL, got ${JSON.stringify(publicUrl)}`);
  }
  let retrySchedule: number[] | null = null;
  try {
    const raw = text('STAGEGATE_RETRY_SCHEDULE', '');
    retrySchedule = raw === '' ? null : parseRetrySchedule(raw);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const allowedHosts = parseAllowedHosts(env.STAGEGATE_ALLOWED_HOSTS);
  problems.push(...allowedHosts.problems);
  const store = text('STAGEGATE_STORE', 'sqlite');
  if (store !== 'lowdb' && store !== 'sqlite' && store !== 'postgres') {
    problems.push(`STAGEGATE_STORE must be sqlite, lowdb or postgres, got ${JSON.stringify(store)}`);
  }
  const databaseUrl = text('DATABASE_URL', '');
  // The URL is not quoted back: it may hold the password.
  if (store === 'postgres' && databaseUrl === '') {
    problems.push(
      'DATABASE_URL is required when STAGEGATE_STORE=postgres (postgres://user:password@host:5432/db)',
    );
  } else if (store === 'postgres' && !/^postgres(ql)?:\/\/[^/]/.test(databaseUrl)) {
    problems.push(
      'DATABASE_URL must be a postgres:// or postgresql:// URL (its value is not shown: it may hold a password)',
    );
  }
  const adminToken = text('STAGEGATE_ADMIN_TOKEN', '');
  if (adminToken !== '' && adminToken.length < minAdminTokenLength) {
    // The token itself is never repeated.
    problems.push(
      `STAGEGATE_ADMIN_TOKEN must be at least ${minAdminTokenLength} characters, got ${adminToken.length} (make one with: openssl rand -hex 32; leave it unset to keep the admin API off)`,
    );
  }
  const named = parseOperatorTokens(
    adminToken.length >= minAdminTokenLength ? adminToken : '',
    text('STAGEGATE_ADMIN_TOKENS', ''),
  );
  problems.push(...named.problems);
  const sessionKey = text('STAGEGATE_SESSION_KEY', '');
  if (sessionKey !== '' && sessionKey.length < minAdminTokenLength) {
    problems.push(
      `STAGEGATE_SESSION_KEY must be at least ${minAdminTokenLength} characters, got ${sessionKey.length} (make one with: openssl rand -hex 32)`,
    );
  }
  const secretKeys = readSecretKeys(env, problems);
  const leverOAuth = readLeverOAuth(env, cwd, allowedHosts.hosts, problems);
  if (leverOAuth !== null && (env.STAGEGATE_SECRET_KEY?.trim() ?? '') === '') {
    problems.push(
      'STAGEGATE_SECRET_KEY must be set with STAGEGATE_LEVER_CLIENT_ID: the OAuth tokens are stored encrypted with it (make one with: openssl rand -hex 32)',
    );
  }
  const logLevel = text('LOG_LEVEL', 'info');
  if (!logLevels.includes(logLevel))
    problems.push(`LOG_LEVEL must be one of ${logLevels.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const logFormat = text('STAGEGATE_LOG_FORMAT', 'auto');
  if (logFormat !== 'json' && logFormat !== 'pretty' && logFormat !== 'auto')
    problems.push(`STAGEGATE_LOG_FORMAT must be json, pretty or auto, got ${JSON.stringify(logFormat)}`);
  if (problems.length > 0) {
    throw new StagegateError('ENV_INVALID', `Invalid environment: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  return {
    port,
    host: text('HOST', '0.0.0.0'),
    tenantsDir: dir('STAGEGATE_TENANTS_DIR', 'tenants'),
    rulesDir: dir('STAGEGATE_RULES_DIR', 'rules'),
    dataDir: dir('STAGEGATE_DATA_DIR', 'data'),
    allowedHosts: allowedHosts.hosts,
    secretsDir: text('STAGEGATE_SECRETS_DIR', '') === '' ? null : dir('STAGEGATE_SECRETS_DIR', ''),
    logLevel,
    logFormat: logFormat === 'json' || logFormat === 'pretty' ? logFormat : 'auto',
    replayWindowMs: hours * 60 * 60 * 1000,
    retentionMs: Math.round(retentionDays * 24 * 60 * 60 * 1000),
    publicUrl: publicUrl === '' ? null : publicUrl.replace(/\/+$/, ''),
    callbackSecret: text('STAGEGATE_CALLBACK_SECRET', '') || null,
    pollIntervalMs: pollMinutes * 60_000,
    retrySchedule,
    adminToken: adminToken || null,
    operators: named.operators,
    sessionKey: sessionKey || null,
    store: store === 'lowdb' || store === 'postgres' ? store : 'sqlite',
    databaseUrl: store === 'postgres' ? databaseUrl : null,
    leverRatePerSecond,
    httpTimeoutMs: Math.round(httpTimeoutSeconds * 1000),
    claimLeaseMs: Math.round(claimLeaseSeconds * 1000),
    leverOAuth,
    secretKeys,
  };
}

/** STAGEGATE_SECRET_KEY and STAGEGATE_SECRET_KEY_OLD: 32 bytes each, hex or base64; never repeated. */
function readSecretKeys(
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): SecretKeyRing | null {
  const read = (name: string) => {
    const raw = env[name]?.trim() ?? '';
    if (raw === '') return null;
    const key = parseSecretKey(raw);
    if (key === null) {
      problems.push(
        `${name} must be 32 bytes as 64 hex digits or as base64, got ${raw.length} characters (make one with: openssl rand -hex 32)`,
      );
    }
    return key;
  };
  const current = read('STAGEGATE_SECRET_KEY');
  const old = read('STAGEGATE_SECRET_KEY_OLD');
  if (old !== null && current === null) {
    problems.push(
      'STAGEGATE_SECRET_KEY_OLD is only read beside STAGEGATE_SECRET_KEY, the key that replaces it',
    );
  }
  return current === null ? null : { current, old: old?.id === current.id ? null : old };
}

/**
 * The registered Lever app. Lever's own authorization hosts need no listing; an override (the
 * simulator, in tests and the demo) must pass STAGEGATE_ALLOWED_HOSTS like any outbound host, since
 * the client secret is sent there.
 */
function readLeverOAuth(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  allowedHosts: readonly string[],
  problems: string[],
): LeverOAuthApp | null {
  const value = (name: string) => env[name]?.trim() ?? '';
  const clientId = value('STAGEGATE_LEVER_CLIENT_ID');
  if (clientId === '') {
    const stray = [
      'STAGEGATE_LEVER_CLIENT_SECRET',
      'STAGEGATE_LEVER_CLIENT_SECRET_FILE',
      'STAGEGATE_LEVER_REDIRECT_URI',
    ].filter((name) => value(name) !== '');
    if (stray.length > 0) problems.push(`${stray.join(' and ')} need STAGEGATE_LEVER_CLIENT_ID`);
    return null;
  }
  let clientSecret = value('STAGEGATE_LEVER_CLIENT_SECRET');
  const secretFile = value('STAGEGATE_LEVER_CLIENT_SECRET_FILE');
  if (clientSecret !== '' && secretFile !== '') {
    problems.push('set STAGEGATE_LEVER_CLIENT_SECRET or STAGEGATE_LEVER_CLIENT_SECRET_FILE, not both');
  } else if (secretFile !== '') {
    try {
      clientSecret = readFileSync(
        isAbsolute(secretFile) ? secretFile : resolve(cwd, secretFile),
        'utf8',
      ).trim();
    } catch (error) {
      problems.push(
        `STAGEGATE_LEVER_CLIENT_SECRET_FILE cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (clientSecret === '')
    problems.push('STAGEGATE_LEVER_CLIENT_SECRET (or _FILE) must be set with STAGEGATE_LEVER_CLIENT_ID');
  const redirectUri = value('STAGEGATE_LEVER_REDIRECT_URI');
  if (!/^https?:\/\/[^/]+\/.*oauth\/lever\/callback$/.test(redirectUri)) {
    problems.push(
      `STAGEGATE_LEVER_REDIRECT_URI must be this service's https address ending in /oauth/lever/callback, exactly as registered with Lever, got ${JSON.stringify(redirectUri)}`,
    );
  }
  const leverEnv = value('STAGEGATE_LEVER_ENV') || 'production';
  if (leverEnv !== 'production' && leverEnv !== 'sandbox') {
    problems.push(`STAGEGATE_LEVER_ENV must be production or sandbox, got ${JSON.stringify(leverEnv)}`);
  }
  const server = leverAuthServers[leverEnv === 'sandbox' ? 'sandbox' : 'production'];
  const url = (name: string, fallback: string) => {
    const raw = value(name);
    if (raw === '') return fallback;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      problems.push(`${name} must be a URL, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const official = Object.values(leverAuthServers).some((s) => new URL(s.tokenUrl).host === parsed.host);
    if (parsed.protocol === 'http:' && !loopbackHosts.has(host)) {
      problems.push(
        `${name} must be https (plain http reaches only loopback), got ${parsed.protocol}//${host}`,
      );
    } else if (!official && !allowedHosts.includes(host)) {
      problems.push(`${name} goes to ${host}, which STAGEGATE_ALLOWED_HOSTS does not list`);
    }
    return parsed.toString();
  };
  return {
    clientId,
    clientSecret: new Secret(clientSecret),
    redirectUri,
    env: leverEnv === 'sandbox' ? 'sandbox' : 'production',
    authorizeUrl: url('STAGEGATE_LEVER_AUTHORIZE_URL', server.authorizeUrl),
    tokenUrl: url('STAGEGATE_LEVER_TOKEN_URL', server.tokenUrl),
    audience: server.audience,
    scopes: leverScopes,
  };
}
