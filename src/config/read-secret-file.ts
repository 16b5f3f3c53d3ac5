import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { SecretFileRead, SecretSources } from './resolve-secrets.js';

/** A secret is a key or a token: a few hundred bytes. Anything bigger is not what the tenant meant. */
export const maxSecretFileBytes = 64 * 1024;

/**
 * The operator's secrets as the loader sees them: the environment, and files under
 * `<secretsDir>/<tenant>/`. The composition roots (the service, the CLI) build it from their
 * environment; the tenant file only names what to read, and resolveSecrets checks the name first.
 */
export function createSecretSources(options: {
  env: Readonly<Record<string, string | undefined>>;
  secretsDir: string | null;
}): SecretSources {
  const { env, secretsDir } = options;
  return {
    env,
    secretsDir,
    readFile: (tenant, name) =>
      secretsDir === null ? { kind: 'missing' } : readSecretFile(join(secretsDir, tenant), name),
  };
}

/**
 * Reads `name` under `dir` when it is a small regular file that stays inside `dir`. Never blocks:
 * devices, FIFOs and sockets are refused on their `stat`, before any open, and the open itself is
 * non-blocking, so a file swapped for a FIFO in between cannot hang a reload. Never throws.
 */
export function readSecretFile(dir: string, name: string): SecretFileRead {
  let base: string;
  try {
    base = realpathSync(dir);
  } catch {
    return { kind: 'missing' };
  }
  const path = resolve(base, name);
  if (!isInside(path, base)) return refused('it names a place outside the directory');
  let real: string;
  try {
    real = realpathSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return refused(code === 'ELOOP' ? 'its symbolic links go round in a loop' : 'it cannot be read');
  }
  if (!isInside(real, base)) return refused('it is a symbolic link that leads out of the directory');
  let stat: Stats;
  try {
    stat = statSync(real);
  } catch {
    return refused('it cannot be read');
  }
  if (!stat.isFile()) return refused(`it is ${kindOf(stat)}, not a regular file`);
  if (stat.size > maxSecretFileBytes) {
    return refused(`it is ${stat.size} bytes; a secret file may have at most ${maxSecretFileBytes}`);
  }
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return refused('it cannot be read');
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile() || opened.ino !== stat.ino || opened.dev !== stat.dev) {
      return refused('it was replaced while being read');
    }
    const buffer = Buffer.alloc(maxSecretFileBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxSecretFileBytes) {
        return refused(`it is over ${maxSecretFileBytes} bytes; a secret file may have at most that`);
      }
    }
    return { kind: 'read', text: buffer.subarray(0, length).toString('utf8') };
  } catch {
    return refused('it cannot be read');
  } finally {
    closeSync(fd);
  }
}

function refused(why: string): SecretFileRead {
  return { kind: 'refused', why };
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
