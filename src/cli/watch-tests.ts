import { existsSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { watch } from 'chokidar';
import { type CliIo, exitCodes } from './io.js';
import { configDirs, expandPaths } from './load-config-files.js';
import { type TestOptions, testCommand } from './test-command.js';

export interface WatchOptions {
  /** Resolves when watching should end; the CLI entry resolves it on SIGINT. */
  stopped: Promise<void>;
  /** Saves closer together than this run once (an editor's save is often several writes). */
  debounceMs?: number;
}

const isYaml = (path: string) => /\.ya?ml$/.test(path);
const isConfigYaml = (path: string) => isYaml(path) && !basename(path).startsWith('.');
const isFixture = (path: string) => /\.test\.ya?ml$/.test(path);

/**
 * `stagegate test --watch`: runs the cases, then again on every save until `stopped` resolves, and
 * returns the exit code of the last run. A saved tenant file or fixture reruns that tenant's fixture;
 * a saved pack reruns them all. "All" is what the command line named (every fixture in tenants/ when
 * it named nothing): `stagegate test tenants/acme.test.yaml --watch` stays on acme, and a save of
 * another tenant runs nothing. Runs never overlap: saves made during a run are run after it, together.
 */
export async function watchTests(
  io: CliIo,
  paths: string[],
  options: TestOptions,
  { stopped, debounceMs = 100 }: WatchOptions,
): Promise<number> {
  const { tenantsDir, rulesDir } = configDirs(io);
  const scope = paths.length > 0 ? paths.map((path) => resolve(io.cwd, path)) : [tenantsDir];
  // Re-read on each save, so a fixture added to a watched directory is picked up.
  const fixtureOf = (path: string) => path.replace(/(\.test)?\.ya?ml$/, '.test.yaml');
  // A tenant file named on the command line stands for its fixture, as in testCommand.
  const fixturesInScope = () => [
    ...new Set(
      expandPaths(scope, io.cwd)
        .map((path) => (isFixture(path) ? path : fixtureOf(path)))
        .filter((path) => isFixture(path) && existsSync(path)),
    ),
  ];
  // A fixture's tenant file sits next to it (see testCommand), so its directory is watched, not only
  // tenants/. Directories rather than files: editors save by writing a new file and renaming it.
  const dirs = [...new Set([...scope.map((path) => (isYaml(path) ? dirname(path) : path)), rulesDir])];
  const display = (path: string) => relative(io.cwd, path) || path;

  const isPack = (path: string) => dirname(path) === rulesDir;

  // testCommand reports bad files itself; anything it throws is printed so the watch goes on.
  const run = async (fixtures: string[], runOptions: TestOptions): Promise<number> => {
    try {
      return await testCommand(io, fixtures, runOptions);
    } catch (error) {
      io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      return exitCodes.invalid;
    }
  };

  let code: number = exitCodes.ok;
  let queue = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const pending = new Set<string>();
  const rerun = async () => {
    const inScope = fixturesInScope();
    // A save that touches no fixture in scope (another tenant, a deleted fixture) runs nothing.
    const causes = [...pending].sort().filter((path) => isPack(path) || inScope.includes(fixtureOf(path)));
    pending.clear();
    if (causes.length === 0) return;
    const fixtures = causes.some(isPack)
      ? inScope
      : inScope.filter((fixture) => causes.some((path) => fixtureOf(path) === fixture));
    io.stdout.write(`\n— ${causes.map(display).join(', ')} changed —\n`);
    // A rerun of a few fixtures may hold no case that -t matches; that is not a failure here.
    code = await run(fixtures, { ...options, allowEmpty: true });
  };
  const saved = (path: string) => {
    if (!isConfigYaml(path)) return; // editor swap and backup files: .acme.yaml.swp, acme.yaml~
    pending.add(path);
    clearTimeout(timer);
    timer = setTimeout(() => {
      queue = queue.then(rerun);
    }, debounceMs);
  };

  const watcher = watch(dirs, { ignoreInitial: true, depth: 0 });
  watcher.on('add', saved).on('change', saved).on('unlink', saved);
  watcher.on('error', (error) => io.stderr.write(`watch error: ${String(error)}\n`));
  await new Promise<void>((ready) => watcher.once('ready', () => ready()));
  queue = (async () => {
    code = await run(paths, options);
    io.stdout.write(`\nwatching ${dirs.map(display).join(', ')} for changes\n`);
  })();

  await stopped;
  clearTimeout(timer);
  pending.clear();
  await watcher.close();
  await queue;
  return code;
}
