import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { type Diagnostic, formatDiagnostic } from './diagnostic.js';
import { type LoadedPack, loadPack } from './load-pack.js';
import { loadTenant, type TenantStatus } from './load-tenant.js';
import type { SecretSources } from './resolve-secrets.js';
import type { TenantSnapshot } from './types.js';

export interface TenantEntry {
  id: string;
  file: string;
  /** What the tenant can do now: it stays `ready` on the last good version while a bad edit is rejected. */
  status: TenantStatus;
  /** The version serving now (null when none ever loaded). */
  snapshot: TenantSnapshot | null;
  /** Problems of the newest file on disk (empty once it loads cleanly). */
  diagnostics: readonly Diagnostic[];
  /** The newest rejected edit's first error, formatted; null when the newest edit serves. */
  lastError: string | null;
  loadedAt: number;
}

export type ReloadOutcome = 'loaded' | 'rejected' | 'retired' | 'not-ready';

export interface ConfigFiles {
  list(dir: string): Promise<string[]>;
  read(path: string): Promise<string | undefined>;
}

export interface TenantRegistry {
  loadAll(): Promise<void>;
  get(id: string): TenantEntry | undefined;
  list(): TenantEntry[];
  /** The rule packs as last read from rules/ (kept current by fileChanged), by name. */
  packs(): ReadonlyMap<string, LoadedPack>;
  /** A file under tenants/ or rules/ changed, appeared or disappeared. */
  fileChanged(path: string): Promise<void>;
  onReload(
    listener: (event: { tenant: string; outcome: ReloadOutcome; entry: TenantEntry | undefined }) => void,
  ): void;
}

export const isTenantFile = (path: string) =>
  /\.ya?ml$/.test(path) && !/\.test\.ya?ml$/.test(path) && !basename(path).startsWith('.');

/**
 * Holds the serving version of every tenant. A new version replaces the old one only when it loads
 * cleanly; otherwise the old one keeps serving and the problems are kept for /readyz and the logs.
 */
export function createTenantRegistry(options: {
  tenantsDir: string;
  rulesDir: string;
  files: ConfigFiles;
  secrets: SecretSources;
  /** STAGEGATE_ALLOWED_HOSTS: the hosts base URLs may name besides Lever's own API. */
  allowedHosts: readonly string[];
  clock: Clock;
  log: Logger;
  /** See LoadTenantInput.publicUrlProblem. */
  publicUrlProblem?: string | null;
}): TenantRegistry {
  const { tenantsDir, rulesDir, files, secrets, allowedHosts, clock, log } = options;
  const publicUrlProblem = options.publicUrlProblem ?? null;
  const packs = new Map<string, LoadedPack>();
  const tenants = new Map<string, TenantEntry>();
  const packUsers = new Map<string, Set<string>>();
  const listeners: ((event: {
    tenant: string;
    outcome: ReloadOutcome;
    entry: TenantEntry | undefined;
  }) => void)[] = [];
  const emit = (tenant: string, outcome: ReloadOutcome) => {
    for (const listener of listeners) listener({ tenant, outcome, entry: tenants.get(tenant) });
  };

  const readPack = async (path: string) => {
    const text = await files.read(path);
    const name = basename(path).replace(/\.ya?ml$/, '');
    if (text === undefined) packs.delete(name);
    else packs.set(name, loadPack(path, text));
    return name;
  };

  const readTenant = async (path: string) => {
    const id = basename(path).replace(/\.ya?ml$/, '');
    const text = await files.read(path);
    const previous = tenants.get(id);
    if (text === undefined) {
      if (previous) {
        tenants.delete(id);
        log.info({ tenant: id, file: path }, 'tenant file deleted: tenant retired');
        emit(id, 'retired');
      }
      return;
    }
    const load = loadTenant({
      file: path,
      text,
      findPack: (name) => packs.get(name),
      packNames: [...packs.keys()],
      secrets,
      allowedHosts,
      publicUrlProblem,
    });
    for (const name of load.packs) {
      const users = packUsers.get(name) ?? new Set<string>();
      users.add(id);
      packUsers.set(name, users);
    }
    const errors = load.diagnostics.filter((d) => d.severity === 'error' || load.status !== 'ready');
    const keepOld =
      previous?.snapshot &&
      (load.status === 'invalid' || (load.status === 'not-ready' && previous.status === 'ready'));
    const firstError = errors[0] ? formatDiagnostic(errors[0]) : null;
    if (keepOld && previous) {
      tenants.set(id, { ...previous, diagnostics: load.diagnostics, lastError: firstError });
      log.error(
        { tenant: id, version: previous.snapshot?.version, problems: errors.map(formatDiagnostic) },
        'tenant edit rejected: the previous version keeps serving',
      );
      emit(id, 'rejected');
      return;
    }
    tenants.set(id, {
      id,
      file: path,
      status: load.status,
      snapshot: load.snapshot,
      diagnostics: load.diagnostics,
      lastError: firstError,
      loadedAt: clock.now(),
    });
    if (load.status === 'ready') {
      log.info({ tenant: id, version: load.snapshot?.version }, 'tenant loaded');
      emit(id, 'loaded');
    } else {
      log.warn(
        { tenant: id, status: load.status, problems: errors.map(formatDiagnostic) },
        `tenant ${load.status}`,
      );
      emit(id, load.status === 'invalid' ? 'rejected' : 'not-ready');
    }
  };

  return {
    async loadAll() {
      const packFiles = (await files.list(rulesDir)).filter(isTenantFile);
      await Promise.all(packFiles.map((name) => readPack(join(rulesDir, name))));
      const tenantFiles = (await files.list(tenantsDir)).filter(isTenantFile);
      await Promise.all(tenantFiles.map((name) => readTenant(join(tenantsDir, name))));
    },
    get: (id) => tenants.get(id),
    list: () => [...tenants.values()].sort((a, b) => a.id.localeCompare(b.id)),
    packs: () => packs,
    async fileChanged(path) {
      if (!isTenantFile(path)) return;
      if (isInside(path, rulesDir)) {
        const name = await readPack(path);
        const users = [...(packUsers.get(name) ?? [])];
        await Promise.all(
          users.map((id) => readTenant(tenants.get(id)?.file ?? join(tenantsDir, `${id}.yaml`))),
        );
      } else if (isInside(path, tenantsDir)) {
        await readTenant(path);
      }
    },
    onReload(listener) {
      listeners.push(listener);
    },
  };
}

function isInside(path: string, dir: string): boolean {
  const normalizedDir = dir.endsWith('/') ? dir : `${dir}/`;
  return path.startsWith(normalizedDir);
}
