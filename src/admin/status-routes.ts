import type { Router } from 'express';
import type { TenantRegistry } from '../config/tenant-registry.js';
import type { TenantDegraded } from '../lever/degraded-tenants.js';
import type { ActionStatus, Store } from '../store/types.js';

export interface AdminStatus {
  tenants: {
    id: string;
    status: string;
    version: string | null;
    lastError: string | null;
    /** Lever refuses the tenant's API key: its deliveries wait in the inbox. */
    degraded: TenantDegraded | null;
  }[];
  actions: Record<ActionStatus, number>;
  /** Skipped: kept until retention prunes them, each replayable (stagegate inbox list / replay). */
  inbox: { pending: number; skipped: number };
}

/** Where the status reads a tenant's degraded state (for OAuth tenants, their stored grant). */
export interface ShownDegraded {
  get(tenant: string): TenantDegraded | null | Promise<TenantDegraded | null>;
}

/** GET /status: the tenants as they serve now, and how much work is waiting or stuck. */
export function addStatusRoutes(
  router: Router,
  options: { store: Store; registry: Pick<TenantRegistry, 'list'>; degraded?: ShownDegraded },
): void {
  const { store, registry, degraded } = options;
  router.get('/status', async (_req, res) => {
    const actions: Record<ActionStatus, number> = { pending: 0, running: 0, failed: 0, done: 0 };
    for (const record of await store.listActions()) actions[record.status] += 1;
    const body: AdminStatus = {
      tenants: await Promise.all(
        registry.list().map(async (entry) => ({
          id: entry.id,
          status: entry.status,
          version: entry.snapshot?.version ?? null,
          lastError: entry.lastError,
          degraded: (await degraded?.get(entry.id)) ?? null,
        })),
      ),
      actions,
      inbox: {
        pending: (await store.pendingInbox()).length,
        skipped: (await store.listInbox({ status: 'skipped' })).length,
      },
    };
    res.json(body);
  });
}
