import { dirname, relative, resolve } from 'node:path';
import { checkSchema } from '../config/check-schema.js';
import { type Diagnostic, formatDiagnostic } from '../config/diagnostic.js';
import { loadPack } from '../config/load-pack.js';
import { loadTenant } from '../config/load-tenant.js';
import { readYaml } from '../config/read-yaml.js';
import { checkFixture } from '../rule-test/check-fixture.js';
import type { FixtureFile } from '../rule-test/types.js';
import { type CliIo, exitCodes, paint } from './io.js';
import {
  allowedHosts,
  configDirs,
  expandPaths,
  loadPacks,
  readText,
  secretSources,
  unreadableFile,
} from './load-config-files.js';

type FileKind = 'tenant' | 'rule-pack' | 'fixture';

interface FileReport {
  file: string;
  kind: FileKind;
  diagnostics: Diagnostic[];
}

/**
 * `stagegate validate [paths…]`: checks tenant files, rule packs and fixture files. Exit 0 when all
 * are valid, 2 when any has an error. Missing secrets are warnings unless --require-secrets.
 */
export function validateCommand(
  io: CliIo,
  paths: string[],
  options: { json?: boolean; requireSecrets?: boolean },
): number {
  const dirs = configDirs(io);
  const display = (path: string) => relative(io.cwd, path) || path;
  const packs = loadPacks(dirs.rulesDir, display);
  const hosts = allowedHosts(io);
  for (const problem of hosts.problems) io.stderr.write(`${paint(io, 'red', problem)}\n`);
  const targets = expandPaths(paths.length > 0 ? paths : [dirs.tenantsDir, dirs.rulesDir], io.cwd);

  const reports: FileReport[] = targets.map((path) => {
    const file = display(path);
    const kind = kindOf(path, dirs.rulesDir);
    const text = readText(path);
    if (text === undefined) {
      return {
        file,
        kind,
        diagnostics: [unreadableFile(file, path)],
      };
    }
    if (kind === 'rule-pack') return { file, kind, diagnostics: [...loadPack(file, text).diagnostics] };
    if (kind === 'fixture') {
      // The same checks `stagegate test` makes before it runs a fixture: schema, then names and facts.
      const yaml = readYaml(file, text);
      const schema = yaml.data === undefined ? [] : checkSchema('fixture', yaml);
      const names =
        yaml.data === undefined || schema.length > 0 ? [] : checkFixture(yaml.data as FixtureFile, yaml);
      return { file, kind, diagnostics: [...yaml.diagnostics, ...schema, ...names] };
    }
    const load = loadTenant({
      file,
      text,
      findPack: (name) => packs.get(name),
      packNames: [...packs.keys()],
      secrets: secretSources(io),
      allowedHosts: hosts.hosts,
    });
    const diagnostics = load.diagnostics.map((d) =>
      d.code === 'missing-secret' && options.requireSecrets ? { ...d, severity: 'error' as const } : d,
    );
    return {
      file,
      kind,
      diagnostics: diagnostics.sort(
        (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col,
      ),
    };
  });

  const all = reports.flatMap((report) => report.diagnostics);
  const errors = all.filter((d) => d.severity === 'error').length;
  const warnings = all.length - errors;
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ ok: errors === 0, errors, warnings, files: reports }, null, 2)}\n`);
  } else {
    for (const d of all)
      io.stdout.write(`${paint(io, d.severity === 'error' ? 'red' : 'yellow', formatDiagnostic(d))}\n`);
    const summary = `${reports.length} file${reports.length === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
    io.stdout.write(`${paint(io, errors === 0 ? 'green' : 'red', summary)}\n`);
  }
  return errors === 0 && hosts.problems.length === 0 ? exitCodes.ok : exitCodes.invalid;
}

function kindOf(path: string, rulesDir: string): FileKind {
  if (/\.test\.ya?ml$/.test(path)) return 'fixture';
  if (resolve(dirname(path)) === resolve(rulesDir)) return 'rule-pack';
  const head = readText(path)?.slice(0, 2000) ?? '';
  if (/^pack:/m.test(head)) return 'rule-pack';
  return 'tenant';
}
