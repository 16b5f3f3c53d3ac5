// `npm start`'s prestart: builds dist/ only when a source is newer than the last build, so that a
// start after `npm ci` (whose prepare built dist/) or after a stop takes a moment, not a compile.
// Plain JavaScript on purpose: it must run before anything is compiled, in a few milliseconds.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const built = join(root, 'dist/src/main.js');
// What tsconfig.build.json compiles (its `include`), the JSON schemas it imports, and the configs.
const sources = ['src', 'test/support', 'bench', 'schemas', 'tsconfig.json', 'tsconfig.build.json'];

/** The most recently modified file under `paths`, with its mtime. */
function newest(paths) {
  let found = { path: '', mtimeMs: 0 };
  const consider = (path) => {
    const { mtimeMs } = statSync(path);
    if (mtimeMs > found.mtimeMs) found = { path, mtimeMs };
  };
  for (const path of paths.map((p) => join(root, p))) {
    if (!statSync(path, { throwIfNoEntry: false })) continue;
    if (!statSync(path).isDirectory()) {
      consider(path);
      continue;
    }
    for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) consider(join(entry.parentPath ?? entry.path, entry.name));
    }
  }
  return found;
}

const output = statSync(built, { throwIfNoEntry: false });
const source = newest(sources);
if (output && output.mtimeMs >= source.mtimeMs) {
  process.stderr.write('stagegate: dist/ is up to date, not rebuilding\n');
} else {
  process.stderr.write(
    output
      ? `stagegate: ${relative(root, source.path)} changed since the last build: building dist/\n`
      : 'stagegate: dist/ has not been built: building it\n',
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  process.exitCode = build.status ?? 1;
}
