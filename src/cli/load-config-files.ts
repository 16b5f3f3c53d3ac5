import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseAllowedHosts } from '../config/check-outbound-hosts.js';
import type { Diagnostic } from '../config/diagnostic.js';
import { type LoadedPack, loadPack } from '../config/load-pack.js';
import { createSecretSources } from '../config/read-secret-file.js';
import type { SecretSources } from '../config/resolve-secrets.js';
import { isTenantFile } from '../config/tenant-registry.js';
import type { CliIo } from './io.js';

export interface ConfigDirs {
  tenantsDir: string;
  rulesDir: string;
}

export function configDirs(io: CliIo): ConfigDirs {
  return {
    tenantsDir: resolve(io.cwd, io.env.STAGEGATE_TENANTS_DIR ?? 'tenants'),
    rulesDir: resolve(io.cwd, io.env.STAGEGATE_RULES_DIR ?? 'rules'),
  };
}

/** A file's text; undefined when it is missing, unreadable or not a regular file (a FIFO would block). */
export function readText(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** What `validate` and `test` report for a file that is missing or cannot be read (`path`: where it was looked for). */
export function unreadableFile(file: string, path?: string): Diagnostic {
  const missing = path !== undefined && !existsSync(path);
  return {
    file,
    line: 1,
    col: 1,
    code: 'unreadable-file',
    message: missing ? 'no such file' : 'the file cannot be read (not a regular file, or no permission)',
    path: '',
    severity: 'error',
  };
}

/** The operator's secrets as the service sees them: this environment, and $STAGEGATE_SECRETS_DIR. */
export function secretSources(io: CliIo): SecretSources {
  const dir = io.env.STAGEGATE_SECRETS_DIR?.trim() ?? '';
  return createSecretSources({ env: io.env, secretsDir: dir === '' ? null : resolve(io.cwd, dir) });
}

/** STAGEGATE_ALLOWED_HOSTS as the service reads it; `problems` names entries that are not host names. */
export function allowedHosts(io: CliIo): { hosts: string[]; problems: string[] } {
  return parseAllowedHosts(io.env.STAGEGATE_ALLOWED_HOSTS);
}

/** YAML files named on the command line: files as given, directories expanded (one level). */
export function expandPaths(paths: string[], cwd: string): string[] {
  return paths.flatMap((path) => {
    const absolute = resolve(cwd, path);
    try {
      if (statSync(absolute).isDirectory()) {
        return readdirSync(absolute)
          .filter((name) => /\.ya?ml$/.test(name) && !name.startsWith('.'))
          .sort()
          .map((name) => join(absolute, name));
      }
    } catch {
      // a missing path is reported by the caller as unreadable
    }
    return [absolute];
  });
}

/** Every pack in the rules directory, by name. */
export function loadPacks(rulesDir: string, display: (path: string) => string): Map<string, LoadedPack> {
  const packs = new Map<string, LoadedPack>();
  for (const file of expandPaths([rulesDir], '/')) {
    if (!isTenantFile(file)) continue;
    const text = readText(file);
    if (text !== undefined) packs.set(basename(file).replace(/\.ya?ml$/, ''), loadPack(display(file), text));
  }
  return packs;
}
