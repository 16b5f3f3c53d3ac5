import type { Router } from 'express';
import type { TenantRegistry } from '../config/tenant-registry.js';
import type { ActionStatus, Store } from '../store/types.js';

export interface AdminStatus {
  tenants: { id: string; status: string; version: string | null; lastError: string | null }[];
  actions: Record<ActionStatus, number>;
  inbox: { pending: number };
}

/** GET /status: the tenants as they serve now, and how much work is waiting or stuck. */
export function addStatusRoutes(
  router: Router,
  options: { store: Store; registry: Pick<TenantRegistry, 'list'> },
): void {
  const { store, registry } = options;
  router.get('/status', async (_req, res) => {
    const actions: Record<ActionStatus, number> = { pending: 0, running: 0, failed: 0, done: 0 };
    for (const record of await store.listActions()) actions[record.status] += 1;
    const body: AdminStatus = {
      tenants: registry.list().map((entry) => ({
        id: entry.id,
        status: entry.status,
        version: entry.snapshot?.version ?? null,
        lastError: entry.lastError,
      })),
      actions,
      inbox: { pending: (await store.pendingInbox()).length },
    };
    res.json(body);
  });
}
