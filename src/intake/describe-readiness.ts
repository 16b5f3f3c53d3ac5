import type { TenantRegistry } from '../config/tenant-registry.js';
import type { TenantDegraded } from '../lever/degraded-tenants.js';
import type { Store } from '../store/types.js';

/** One tenant as the operator sees it; an object, so that more can be said about a tenant later. */
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

/**
 * What /readyz answers anyone (a load balancer): whether this instance can serve, and how many
 * tenants are in each state. Which tenants, their versions and their problems need the admin token
 * (`detail`): they name customers, variables and hosts.
 */
export interface Readiness {
  ready: boolean;
  store: 'writable' | 'failing';
  configuration: 'loaded' | 'loading';
  /** How many tenants are in each status: ready, not-ready, invalid (and any status added later). */
  tenants: Record<string, number>;
  /**
   * Only when not ready: why, in fixed words (the store cannot commit, the tenant files are still
   * loading), for whoever watches the load balancer. Nothing about where the store is.
   */
  reason?: string;
  /** With the admin token, while the store fails: its error (a database by user, host and name, never a password). */
  storeError?: string;
  detail?: TenantReadiness[];
}

/**
 * Ready when the store can write and the first load of the tenant files finished. A tenant's own
 * trouble never makes the instance unready: a load balancer would pull every instance for it (a
 * degraded tenant included).
 */
export async function describeReadiness(
  options: {
    registry: TenantRegistry;
    store: Store;
    tenantsLoaded: () => boolean;
    degraded?: (tenant: string) => TenantDegraded | null | Promise<TenantDegraded | null>;
  },
  { detail }: { detail: boolean },
): Promise<Readiness> {
  // While PostgreSQL is away (restarting, failing over), this fails and the instance is out of the
  // load balancer; webhooks meanwhile answer 500 (STORE_FAILED), so Lever sends them again.
  let storeError: string | undefined;
  const writable = await options.store.checkWritable().then(
    () => true,
    (error: unknown) => {
      storeError = error instanceof Error ? error.message : String(error);
      return false;
    },
  );
  const entries = options.registry.list();
  const tenants: Record<string, number> = { ready: 0, 'not-ready': 0, invalid: 0 };
  for (const entry of entries) tenants[entry.status] = (tenants[entry.status] ?? 0) + 1;
  const loaded = options.tenantsLoaded();
  const reasons = [
    ...(writable ? [] : ['the store cannot commit (its database or disk is unreachable or failing)']),
    ...(loaded ? [] : ['the tenant files are still loading']),
  ];
  return {
    ready: writable && loaded,
    store: writable ? 'writable' : 'failing',
    configuration: loaded ? 'loaded' : 'loading',
    tenants,
    ...(reasons.length === 0 ? {} : { reason: reasons.join('; ') }),
    ...(detail && storeError !== undefined ? { storeError } : {}),
    ...(detail
      ? {
          detail: await Promise.all(
            entries.map(async (entry) => ({
              id: entry.id,
              status: entry.status,
              version: entry.snapshot?.version ?? null,
              lastError: entry.lastError,
              missing: entry.diagnostics
                .filter((d) => d.code === 'missing-secret' || d.code === 'public-url')
                .map((d) => d.message),
              degraded: (await options.degraded?.(entry.id)) ?? null,
            })),
          ),
        }
      : {}),
  };
}
