import { StagegateError } from '../kernel/errors.js';

/** Every record belongs to a tenant; a missing one is a bug in the caller, caught before anything is written. */
export function checkTenant(tenant: unknown): void {
  if (typeof tenant !== 'string' || tenant === '') {
    throw new StagegateError('INTERNAL', `A store record needs a tenant, got ${JSON.stringify(tenant)}.`);
  }
}
