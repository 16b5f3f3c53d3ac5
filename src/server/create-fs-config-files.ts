import { readdir, readFile } from 'node:fs/promises';
import type { ConfigFiles } from '../config/tenant-registry.js';

/** The registry's view of the disk: a missing directory lists as empty, an unreadable file as absent. */
export function createFsConfigFiles(): ConfigFiles {
  return {
    list: (dir) => readdir(dir).catch(() => []),
    read: (path) => readFile(path, 'utf8').catch(() => undefined),
  };
}
