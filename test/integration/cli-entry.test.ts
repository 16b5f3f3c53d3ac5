import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureIo } from '../support/capture-io.js';

// bin/stagegate.js as `npx stagegate` runs it; `npm test` builds dist/ before vitest runs.
const repoRoot = resolve(import.meta.dirname, '../..');
const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('stagegate --version', () => {
  it("prints package.json's version and exits 0", () => {
    const out = execFileSync(process.execPath, [join(repoRoot, 'bin/stagegate.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(out).toBe(`${version}\n`);
  });

  it('is listed in the help, and -V says the same', async () => {
    const io = { ...captureIo({ cwd: repoRoot }), version: '9.9.9' };
    expect(await runCli(['-V'], io)).toBe(0);
    expect(io.out()).toBe('9.9.9\n');
    const help = { ...captureIo({ cwd: repoRoot }), version: '9.9.9' };
    await runCli(['--help'], help);
    expect(help.out()).toMatch(/-V, --version +print the version/);
  });
});

describe('the LICENSE file', () => {
  it('is the licence package.json names', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(repoRoot, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });
});

describe("npm start's prestart (scripts/build-if-stale.js)", () => {
  // A copy of the script in a scratch project whose "tsc" only leaves a mark, so no real build runs.
  function project(): { dir: string; run(): { stderr: string; built: boolean } } {
    const dir = mkdtempSync(join(tmpdir(), 'stagegate-prestart-'));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(repoRoot, 'scripts/build-if-stale.js'), join(dir, 'scripts/build-if-stale.js'));
    mkdirSync(join(dir, 'src/config'), { recursive: true });
    writeFileSync(join(dir, 'src/config/a.ts'), 'export {};\n');
    mkdirSync(join(dir, 'node_modules/typescript/bin'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    writeFileSync(
      join(dir, 'node_modules/typescript/bin/tsc'),
      "require('node:fs').writeFileSync(require('node:path').join(__dirname, '../../../built'), 'yes');\n",
    );
    writeFileSync(join(dir, 'node_modules/typescript/package.json'), '{"type": "commonjs"}\n');
    return {
      dir,
      run() {
        rmSync(join(dir, 'built'), { force: true });
        const result = spawnSync(process.execPath, [join(dir, 'scripts/build-if-stale.js')], {
          encoding: 'utf8',
        });
        expect(result.status).toBe(0);
        return { stderr: result.stderr, built: existsSync(join(dir, 'built')) };
      },
    };
  }
  const setTime = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  it('builds when dist/ is missing or older than a source, and not when it is current', () => {
    const { dir, run } = project();
    expect(run()).toEqual({ stderr: 'stagegate: dist/ has not been built: building it\n', built: true });

    mkdirSync(join(dir, 'dist/src'), { recursive: true });
    writeFileSync(join(dir, 'dist/src/main.js'), '');
    setTime(join(dir, 'src/config/a.ts'), 1_000_000);
    setTime(join(dir, 'dist/src/main.js'), 2_000_000);
    expect(run()).toEqual({ stderr: 'stagegate: dist/ is up to date, not rebuilding\n', built: false });

    setTime(join(dir, 'src/config/a.ts'), 3_000_000);
    expect(run()).toEqual({
      stderr: 'stagegate: src/config/a.ts changed since the last build: building dist/\n',
      built: true,
    });
  });
});
