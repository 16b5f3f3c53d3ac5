import type { TenantRegistry } from '../config/tenant-registry.js';
import type { TenantDegraded } from '../lever/create-degraded-tenants.js';
import type { Store } from '../store/types.js';

export interface TenantReadiness {
  id: string;
  status: string;
  version: string | null;
  lastError: string | null;
  /** For a tenant that is not ready: what to set, one line per missing secret (or STAGEGATE_PUBLIC_URL), naming it. */
  missing: string[];
  /** Lever refuses the tenant's API key (revoked or rotated): its deliveries wait. Not a readiness failure. */
  degraded: TenantDegraded | null;
}

export interface Readiness {
  ready: boolean;
  store: 'writable' | 'failing';
  tenants: TenantReadiness[];
}

/** What /readyz answers: ready when the store can write and the tenants are loaded. */
export async function describeReadiness(options: {
  registry: TenantRegistry;
  store: Store;
  tenantsLoaded: () => boolean;
  degraded?: (tenant: string) => TenantDegraded | null;
}): Promise<Readiness> {
  const writable = await options.store.checkWritable().then(
    () => true,
    () => false,
  );
  const tenants = options.registry.list().map((entry) => ({
    id: entry.id,
    status: entry.status,
    version: entry.snapshot?.version ?? null,
    lastError: entry.lastError,
    missing: entry.diagnostics
      .filter((d) => d.code === 'missing-secret' || d.code === 'public-url')
      .map((d) => d.message),
    degraded: options.degraded?.(entry.id) ?? null,
  }));
  return { ready: writable && options.tenantsLoaded(), store: writable ? 'writable' : 'failing', tenants };
}
