import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { SecretSources } from '../config/resolve-secrets.js';
import type { ConfigFiles } from '../config/tenant-registry.js';

/** The registry's view of the disk: a missing directory lists as empty, an unreadable file as absent. */
export function createFsConfigFiles(): ConfigFiles {
  return {
    list: (dir) => readdir(dir).catch(() => []),
    read: (path) => readFile(path, 'utf8').catch(() => undefined),
  };
}

export function createSecretSources(env: Readonly<Record<string, string | undefined>>): SecretSources {
  return {
    env,
    readFile(path) {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
