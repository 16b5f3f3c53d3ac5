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
