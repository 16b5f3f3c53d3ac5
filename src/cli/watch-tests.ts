import { watch } from 'chokidar';
import { type CliIo, exitCodes } from './io.js';
import { configDirs } from './load-config-files.js';
import { type TestOptions, testCommand } from './test-command.js';

/**
 * `stagegate test --watch`: runs the cases, then again for the tenant whose tenant file, fixture file
 * or rule pack was saved (a pack change runs every tenant). Stops on SIGINT.
 */
export async function watchTests(io: CliIo, paths: string[], options: TestOptions): Promise<number> {
  const dirs = configDirs(io);
  await testCommand(io, paths, options);
  const watcher = watch([dirs.tenantsDir, dirs.rulesDir], { ignoreInitial: true, depth: 0 });
  let timer: NodeJS.Timeout | undefined;
  let pending = new Set<string>();
  const rerun = (path: string) => {
    pending.add(path);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const changed = [...pending];
      pending = new Set();
      const tenants = changed.some((file) => file.startsWith(dirs.rulesDir))
        ? paths
        : changed.map((file) => file.replace(/(\.test)?\.ya?ml$/, '.test.yaml'));
      io.stdout.write(`\n— ${changed.join(', ')} changed —\n`);
      void testCommand(io, tenants, { ...options, allowEmpty: true });
    }, 100);
  };
  watcher.on('add', rerun).on('change', rerun);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  clearTimeout(timer);
  await watcher.close();
  return exitCodes.ok;
}
