import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadPack } from '../../src/config/load-pack.js';
import { loadTenant } from '../../src/config/load-tenant.js';
import { envSecretSources } from '../../src/config/resolve-secrets.js';
import type { TenantSnapshot } from '../../src/config/types.js';

export const repoRoot = resolve(import.meta.dirname, '../..');

/**
 * What an operator lists in STAGEGATE_ALLOWED_HOSTS to serve the shipped tenants: the demo's Lever on
 * loopback, and the example vendors of acme and globex.
 */
export const shippedAllowedHosts = ['127.0.0.1', 'assessments.hired.example', 'partner.codeassess.example'];

/** A shipped tenant (tenants/<id>.yaml) loaded through the real loader, with the given environment. */
export function loadShippedTenant(id: string, env: Record<string, string> = {}): TenantSnapshot {
  const packFile = 'rules/assessment-lifecycle.yaml';
  const pack = loadPack(packFile, readFileSync(resolve(repoRoot, packFile), 'utf8'));
  const file = `tenants/${id}.yaml`;
  const load = loadTenant({
    file,
    text: readFileSync(resolve(repoRoot, file), 'utf8'),
    findPack: (name) => (name === pack.name ? pack : undefined),
    secrets: envSecretSources(env),
    allowedHosts: shippedAllowedHosts,
  });
  if (!load.snapshot) throw new Error(`${file} did not load: ${JSON.stringify(load.diagnostics)}`);
  return load.snapshot;
}
