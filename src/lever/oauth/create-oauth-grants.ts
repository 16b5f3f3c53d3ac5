import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import type { CredentialVault } from '../../store/create-credential-vault.js';
import type { LeverAuth } from '../create-lever-transport.js';
import type { LeverOAuthApp } from './oauth-app.js';
import { requestToken, type TokenAnswer } from './request-token.js';

/** What the vault keeps of a tenant's grant (kind `lever-oauth`): one record, so a rotation is atomic. */
interface StoredGrant {
  /** Ours, new at each connect: the rate-limit bucket follows it, not the access token. */
  grantId: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  scopes: string[];
  connectedAt: number;
}

export const grantKind = 'lever-oauth';

/** A tenant's grant as anyone may see it: no token in it. */
export interface GrantStatus {
  grantId: string;
  expiresAt: number;
  scopes: string[];
  connectedAt: number;
}

export interface OAuthGrants {
  /** The tenant's calls: Bearer with its access token, refreshed ahead of expiry and after a 401. */
  authFor(tenant: string): LeverAuth;
  /** Keeps what the code exchange gave, as a new grant. */
  save(tenant: string, answer: TokenAnswer): Promise<GrantStatus>;
  status(tenant: string): Promise<GrantStatus | undefined>;
  forget(tenant: string): Promise<boolean>;
}

/**
 * The OAuth tenants' tokens. An access token is refreshed when less than `refreshAheadMs` of it is
 * left; Lever's refresh tokens are treated as rotating, so the new pair replaces the old in one
 * write. One refresh at a time per tenant in this process (across instances: not yet, issue 13). A
 * grant Lever refuses (invalid_grant) throws an error with `details.needsReconnecting`, which
 * degrades the tenant (see credentialRefusal): its deliveries wait until it is connected again.
 */
export function createOAuthGrants(options: {
  app: LeverOAuthApp;
  vault: CredentialVault;
  clock: Clock;
  log: Logger;
  http?: typeof fetch;
  timeoutMs?: number;
  refreshAheadMs?: number;
}): OAuthGrants {
  const { app, vault, clock, log } = options;
  const refreshAheadMs = options.refreshAheadMs ?? 5 * 60_000;
  const request = {
    ...(options.http ? { http: options.http } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
  const refreshing = new Map<string, Promise<StoredGrant>>();

  const notConnected = (tenant: string) =>
    new StagegateError(
      'LEVER_API',
      `tenant ${tenant} is not connected to Lever: a Super Admin connects it (stagegate connect --tenant ${tenant})`,
      {
        details: { status: 401, needsReconnecting: true, reason: 'not-connected' },
      },
    );

  const read = async (tenant: string) => {
    const grant = await vault.read<StoredGrant>(tenant, grantKind);
    if (grant === undefined) throw notConnected(tenant);
    return grant;
  };

  const refresh = (tenant: string, stale: StoredGrant): Promise<StoredGrant> => {
    let running = refreshing.get(tenant);
    if (running === undefined) {
      running = (async () => {
        // Another refresh may have finished since `stale` was read: use the newest refresh token.
        const current = await read(tenant);
        if (current.accessToken !== stale.accessToken) return current;
        const answer = await requestToken(
          app,
          { grant_type: 'refresh_token', refresh_token: current.refreshToken },
          request,
        );
        const next: StoredGrant = {
          ...current,
          accessToken: answer.accessToken.reveal(),
          refreshToken: answer.refreshToken?.reveal() ?? current.refreshToken,
          expiresAt: clock.now() + answer.expiresInMs,
          scopes: answer.scopes.length > 0 ? answer.scopes : current.scopes,
        };
        await vault.write(tenant, grantKind, next);
        log.info(
          { tenant, grantId: next.grantId, expiresAt: next.expiresAt },
          'lever oauth: access token refreshed',
        );
        return next;
      })().finally(() => refreshing.delete(tenant));
      refreshing.set(tenant, running);
    }
    return running;
  };

  const statusOf = (grant: StoredGrant): GrantStatus => ({
    grantId: grant.grantId,
    expiresAt: grant.expiresAt,
    scopes: grant.scopes,
    connectedAt: grant.connectedAt,
  });

  return {
    authFor(tenant) {
      return {
        async credential() {
          let grant = await read(tenant);
          if (grant.expiresAt - clock.now() <= refreshAheadMs) grant = await refresh(tenant, grant);
          return {
            authorization: `Bearer ${grant.accessToken}`,
            bucketKey: `oauth:${tenant}:${grant.grantId}`,
          };
        },
        async renew() {
          await refresh(tenant, await read(tenant));
          return true;
        },
      };
    },
    async save(tenant, answer) {
      if (answer.refreshToken === null) {
        throw new StagegateError(
          'LEVER_API',
          'Lever gave no refresh token: the app must ask for offline_access',
          {
            details: { path: 'oauth/token', reason: 'no-refresh-token' },
          },
        );
      }
      const now = clock.now();
      const grant: StoredGrant = {
        grantId: randomUUID(),
        accessToken: answer.accessToken.reveal(),
        refreshToken: answer.refreshToken.reveal(),
        expiresAt: now + answer.expiresInMs,
        scopes: answer.scopes,
        connectedAt: now,
      };
      await vault.write(tenant, grantKind, grant);
      return statusOf(grant);
    },
    async status(tenant) {
      const grant = await vault.read<StoredGrant>(tenant, grantKind);
      return grant === undefined ? undefined : statusOf(grant);
    },
    forget: (tenant) => vault.forget(tenant, grantKind),
  };
}
