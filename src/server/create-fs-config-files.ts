import { readdir, readFile, stat } from 'node:fs/promises';
import type { ConfigFiles } from '../config/tenant-registry.js';

/**
 * The registry's view of the disk: a missing directory lists as empty, an unreadable file as absent.
 * Only regular files are read: a tenant file that is a FIFO or a link to /dev/zero would hang a reload.
 */
export function createFsConfigFiles(): ConfigFiles {
  return {
    list: (dir) => readdir(dir).catch(() => []),
    read: async (path) => {
      const found = await stat(path).catch(() => undefined);
      if (!found?.isFile()) return undefined;
      return readFile(path, 'utf8').catch(() => undefined);
    },
  };
}
