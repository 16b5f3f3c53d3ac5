import type { TenantSnapshot } from '../config/types.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError } from '../kernel/errors.js';
import type { LeverClient } from '../lever/create-lever-client.js';
import type { InboxItem, Store } from '../store/types.js';
import { type BackfillReport, backfillStages } from './backfill-stage.js';

export interface BackfillRequest {
  tenant: string;
  stage?: string;
  dryRun: boolean;
  explain?: boolean;
}

export type Backfill = (request: BackfillRequest) => Promise<BackfillReport>;

/**
 * Binds backfillStages to the running service: the serving tenant version, its Lever client (the
 * one the worker uses, so both share the API key's rate budget), the store and the worker.
 */
export function createBackfill(options: {
  tenant(id: string): TenantSnapshot | undefined;
  lever(tenant: TenantSnapshot): LeverClient;
  store: Store;
  clock: Clock;
  accepted(item: InboxItem): void;
}): Backfill {
  return async (request) => {
    const tenant = options.tenant(request.tenant);
    if (tenant === undefined) {
      throw new StagegateError('TENANT_UNKNOWN', `no tenant '${request.tenant}' is loaded`);
    }
    if (!tenant.secrets) {
      throw new StagegateError('TENANT_NOT_READY', `tenant ${tenant.id} is not ready (a secret is missing)`);
    }
    return backfillStages({
      tenant,
      lever: options.lever(tenant),
      store: options.store,
      ...(request.stage === undefined ? {} : { stage: request.stage }),
      dryRun: request.dryRun,
      ...(request.explain === undefined ? {} : { explain: request.explain }),
      now: options.clock.now(),
      accepted: options.accepted,
    });
  };
}
