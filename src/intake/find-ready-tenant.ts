import type { TenantRegistry } from '../config/tenant-registry.js';
import type { TenantSecrets, TenantSnapshot } from '../config/types.js';
import { StagegateError } from '../kernel/errors.js';

/** The serving version of a tenant that can take deliveries: unknown -> 404, not ready -> 503. */
export function findReadyTenant(
  registry: TenantRegistry,
  id: string,
): { snapshot: TenantSnapshot; secrets: TenantSecrets } {
  const snapshot = registry.get(id)?.snapshot;
  if (snapshot === undefined) throw new StagegateError('TENANT_UNKNOWN', 'No tenant with that id is loaded.');
  if (snapshot === null || snapshot.secrets === null) {
    throw new StagegateError('TENANT_NOT_READY', `Tenant ${id} is not ready.`, { details: { tenant: id } });
  }
  return { snapshot, secrets: snapshot.secrets };
}
