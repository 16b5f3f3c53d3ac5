// A PostgreSQL cluster of a test file's own: `initdb` into a temp directory, run by the `postgres`
// user (when the tests run as root) on a free port, stopped and started again by the test. Never the
// machine's shared cluster, which other test files use at the same time. Where the binaries are not
// there, the file's suites are skipped with one line, unless STAGEGATE_TEST_POSTGRES=required.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { postgresRequired } from './postgres-test-database.js';

const run = promisify(execFile);

export interface PrivateCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  readonly url: string;
  readonly port: number;
  /** `immediate` is a crash: no checkpoint, the WAL is replayed at the next start. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
}

/** The newest installed server binaries: $STAGEGATE_TEST_PG_BIN, else /usr/lib/postgresql/<version>/bin. */
function findBinaries(): string | undefined {
  const given = process.env.STAGEGATE_TEST_PG_BIN;
  if (given !== undefined && given !== '') return existsSync(join(given, 'initdb')) ? given : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(root, version, 'bin'))[0];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Creates and starts the cluster (removed after the file), or returns undefined, having said why in
 * one line, when it cannot be made and is not required.
 */
export async function startPrivateCluster(file: string): Promise<PrivateCluster | undefined> {
  const bin = findBinaries();
  const asRoot = process.getuid?.() === 0;
  const unavailable = (why: string) => {
    if (postgresRequired) throw new Error(`STAGEGATE_TEST_POSTGRES=required, but ${why}`);
    console.warn(`[${file}] PostgreSQL restart suites skipped: ${why}.`);
    return undefined;
  };
  if (bin === undefined) {
    const where = process.env.STAGEGATE_TEST_PG_BIN || '/usr/lib/postgresql/*/bin';
    return unavailable(`no PostgreSQL server binaries (initdb) in ${where}`);
  }
  // The server refuses to run as root: the postgres user runs it, and owns its directory.
  const as = async (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args])
      : run(join(bin, command), args);
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    if (asRoot) {
      const [uid, gid] = await Promise.all(
        ['-u', '-g'].map(async (flag) => Number((await run('id', [flag, 'postgres'])).stdout.trim())),
      );
      await chown(dir, uid ?? 0, gid ?? 0);
    }
    await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    return unavailable(`initdb failed: ${(error as Error).message.split('\n')[0]}`);
  }
  let running = false;
  const cluster: PrivateCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await as('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=50`,
        '-w',
        'start',
      ]);
      running = true;
    },
    async stop(mode = 'fast') {
      await as('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
  };
  afterAll(async () => {
    if (running) await cluster.stop('immediate').catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  await cluster.start();
  return cluster;
}
