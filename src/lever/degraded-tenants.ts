import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { StagegateError } from '../kernel/errors.js';

/**
 * Whether Lever refused the API key itself, and why: a 401 to any call, or a 403 to reading an
 * opportunity (GET /opportunities/:id), which every key with the scopes stagegate needs may do. Both
 * mean the key was revoked or rotated, not that this one delivery is wrong, so the tenant is degraded
 * and its deliveries wait. A 403 on anything else (a confidential posting) is that call's own answer.
 * Kept apart from the other failure classes so that it can move into one classification module.
 */
export function credentialRefusal(error: unknown): string | undefined {
  if (!(error instanceof StagegateError) || error.code !== 'LEVER_API') return undefined;
  const { status, method, path } = error.details;
  // An OAuth grant revoked or expired (the token endpoint's invalid_grant), or never made.
  if (error.details.needsReconnecting === true) return `needs reconnecting: ${error.message}`;
  if (status === 401) return `Lever refused the API key (401): ${error.message}`;
  if (
    status === 403 &&
    method === 'GET' &&
    typeof path === 'string' &&
    /^\/opportunities\/[^/]+$/.test(path)
  ) {
    return `Lever refused the API key reading an opportunity (403): ${error.message}`;
  }
  return undefined;
}

/** Why a tenant is degraded, and since when. */
export interface TenantDegraded {
  reason: string;
  since: number;
}

/**
 * Which tenants' Lever keys Lever refuses now (see credentialRefusal). In memory, per process: a
 * restart forgets it, and the first call of the new process finds it again. For an OAuth tenant the
 * shared truth is the `refused` mark of its stored grant (create-oauth-grants), which is what is
 * shown (Pipeline.degradedShown); this map only adds the log line and the states with no grant. A degraded tenant stays
 * ready: its webhooks are still accepted and wait in the inbox until the key works again.
 */
export interface DegradedTenants {
  get(tenant: string): TenantDegraded | null;
  /**
   * Marks the tenant degraded; logged when it becomes so, not on every refused call. `recorded`: an
   * OAuth grant another instance (or an earlier call) already recorded as refused in the store, with
   * its own `since`; logged at info only, since the instance that recorded it logged the error.
   */
  refused(tenant: string, reason: string, recorded?: { since: number }): void;
  /** A call with the tenant's key succeeded: no longer degraded (logged when it changes). */
  accepted(tenant: string): void;
}

export function createDegradedTenants(options: { clock: Clock; log: Logger }): DegradedTenants {
  const { clock, log } = options;
  const degraded = new Map<string, TenantDegraded>();
  return {
    get: (tenant) => degraded.get(tenant) ?? null,
    refused(tenant, reason, recorded) {
      const current = degraded.get(tenant);
      if (current !== undefined) {
        current.reason = reason;
        if (recorded !== undefined) current.since = recorded.since;
        return;
      }
      degraded.set(tenant, { reason, since: recorded?.since ?? clock.now() });
      if (recorded !== undefined) {
        log.info(
          { tenant, since: recorded.since },
          `tenant ${tenant} needs reconnecting (recorded in its stored grant); its deliveries wait in the inbox`,
        );
        return;
      }
      log.error(
        { tenant, reason },
        `tenant ${tenant} is degraded: ${reason.startsWith('needs reconnecting') ? 'its Lever connection needs reconnecting (stagegate connect)' : 'Lever refuses its API key (revoked or rotated?)'}; its deliveries wait in the inbox until Lever accepts it again`,
      );
    },
    accepted(tenant) {
      const current = degraded.get(tenant);
      if (current === undefined) return;
      degraded.delete(tenant);
      log.warn(
        { tenant, degradedForMs: clock.now() - current.since },
        `tenant ${tenant} is no longer degraded: Lever accepts its API key again`,
      );
    },
  };
}

/**
 * What the tenant's Lever transport tells after each call (LeverTransportOptions.onOutcome): a
 * refused key marks the tenant; a success, or an answer about the request itself (404, 400),
 * clears it. 429s, 5xx and unreachable say nothing about the key. The worker and the executor share
 * the client, and paged lists (backfill) go through the transport too, so every call counts.
 */
export function credentialObserver(
  tenant: string,
  degraded: DegradedTenants,
  /**
   * An OAuth tenant's grant refused by Lever as this instance saw it (invalid_grant, or a 401 with
   * its access token): recorded in the stored grant, so every instance shows it (markRefused).
   */
  recordRefusal?: (reason: string) => void,
): (error: unknown) => void {
  return (error) => {
    if (error === null) {
      degraded.accepted(tenant);
      return;
    }
    const refusal = credentialRefusal(error);
    if (refusal === undefined) {
      if (keyWorked(error)) degraded.accepted(tenant);
      return;
    }
    const recorded = recordedRefusal(error);
    degraded.refused(tenant, recorded?.reason ?? refusal, recorded);
    if (recorded === undefined && recordRefusal !== undefined && refusesGrant(error)) recordRefusal(refusal);
  };
}

/** The refusal an OAuth grant carries in the store (create-oauth-grants), when the error is that. */
function recordedRefusal(error: unknown): TenantDegraded | undefined {
  if (!(error instanceof StagegateError)) return undefined;
  const recorded = error.details.recordedRefusal;
  if (typeof recorded !== 'object' || recorded === null) return undefined;
  const { reason, since } = recorded as Record<string, unknown>;
  return typeof reason === 'string' && typeof since === 'number' ? { reason, since } : undefined;
}

/**
 * Lever refused the grant itself: invalid_grant at a refresh, or a 401 to a call with an access
 * token refreshed for it (the transport renews once before it gives up). Not a missing grant or
 * app, nor a 403 on one read, nor another refusal of the token endpoint (invalid_client is about
 * the operator's app: reconnecting would not help, and the next refresh may work).
 */
function refusesGrant(error: unknown): boolean {
  if (!(error instanceof StagegateError)) return false;
  const { reason, status, needsReconnecting, path } = error.details;
  if (reason === 'not-connected' || reason === 'no-oauth-app') return false;
  if (path === 'oauth/token') return needsReconnecting === true;
  return needsReconnecting === true || status === 401;
}

/** Lever looked at the request with the key and answered about the request (a 404, a 400, ...). */
function keyWorked(error: unknown): boolean {
  const status = error instanceof StagegateError ? error.details.status : undefined;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429;
}
