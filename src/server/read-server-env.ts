import { isAbsolute, resolve } from 'node:path';
import { StagegateError } from '../kernel/errors.js';

export interface ServerEnv {
  port: number;
  host: string;
  tenantsDir: string;
  rulesDir: string;
  dataDir: string;
  logLevel: string;
  replayWindowMs: number;
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
  const logLevel = text('LOG_LEVEL', 'info');
  if (!logLevels.includes(logLevel))
    problems.push(`LOG_LEVEL must be one of ${logLevels.join(', ')}, got ${JSON.stringify(logLevel)}`);
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
    logLevel,
    replayWindowMs: hours * 60 * 60 * 1000,
  };
}
