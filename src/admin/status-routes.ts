import type { Router } from 'express';
import type { TenantRegistry } from '../config/tenant-registry.js';
import type { DegradedTenants, TenantDegraded } from '../lever/create-degraded-tenants.js';
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

/** GET /status: the tenants as they serve now, and how much work is waiting or stuck. */
export function addStatusRoutes(
  router: Router,
  options: { store: Store; registry: Pick<TenantRegistry, 'list'>; degraded?: Pick<DegradedTenants, 'get'> },
): void {
  const { store, registry, degraded } = options;
  router.get('/status', async (_req, res) => {
    const actions: Record<ActionStatus, number> = { pending: 0, running: 0, failed: 0, done: 0 };
    for (const record of await store.listActions()) actions[record.status] += 1;
    const body: AdminStatus = {
      tenants: registry.list().map((entry) => ({
        id: entry.id,
        status: entry.status,
        version: entry.snapshot?.version ?? null,
        lastError: entry.lastError,
        degraded: degraded?.get(entry.id) ?? null,
      })),
      actions,
      inbox: {
        pending: (await store.pendingInbox()).length,
        skipped: (await store.listInbox({ status: 'skipped' })).length,
      },
    };
    res.json(body);
  });
}
