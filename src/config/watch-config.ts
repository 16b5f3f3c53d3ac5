import { watch } from 'chokidar';
import type { Logger } from 'pino';
import type { TenantRegistry } from './tenant-registry.js';

/**
 * Watches the tenants and rules directories (not the files: editors save by writing a new file and
 * renaming it) and hands each settled change to the registry, one at a time per file.
 */
export function watchConfig(options: {
  dirs: string[];
  registry: TenantRegistry;
  log: Logger;
  debounceMs?: number;
}): { ready: Promise<void>; close(): Promise<void> } {
  const { dirs, registry, log, debounceMs = 50 } = options;
  const timers = new Map<string, NodeJS.Timeout>();
  let queue = Promise.resolve();
  const watcher = watch(dirs, { ignoreInitial: true, depth: 0 });
  const changed = (path: string) => {
    clearTimeout(timers.get(path));
    timers.set(
      path,
      setTimeout(() => {
        timers.delete(path);
        queue = queue
          .then(() => registry.fileChanged(path))
          .catch((error: unknown) => log.error({ err: error, file: path }, 'reload failed'));
      }, debounceMs),
    );
  };
  watcher.on('add', changed).on('change', changed).on('unlink', changed);
  watcher.on('error', (error) => log.error({ err: error }, 'config watcher error'));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    async close() {
      for (const timer of timers.values()) clearTimeout(timer);
      await watcher.close();
      await queue;
    },
  };
}
