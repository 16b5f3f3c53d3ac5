import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import type { CredentialVault } from '../../store/credentials.js';
import type { LeverAuth } from '../create-lever-transport.js';
import { type LeverOAuthApp, requestToken, type TokenAnswer } from './oauth-app.js';

/** What the vault keeps of a tenant's grant (kind `lever-oauth`): one record, so a rotation is atomic. */
interface StoredGrant {
  /** Ours, new at each connect: the rate-limit bucket follows it, not the access token. */
  grantId: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  scopes: string[];
  connectedAt: number;
  /** The instance refreshing it now, until when: the others wait for its tokens instead of racing it. */
  refreshing?: RefreshLease;
  /**
   * Lever refused this grant (invalid_grant at a refresh, or a 401 with its access token), recorded
   * by whichever instance saw it, so every instance sharing the store shows the tenant as needing
   * reconnecting and leaves Lever alone. Only a new grant (a reconnect) clears it.
   */
  refused?: GrantRefusal;
}

/** Why Lever refuses a tenant's grant, and since when (the instance clock that saw it). */
export interface GrantRefusal {
  reason: string;
  since: number;
}

interface RefreshLease {
  by: string;
  until: number;
}

export const grantKind = 'lever-oauth';

/** A tenant's grant as anyone may see it: no token in it. */
export interface GrantStatus {
  grantId: string;
  expiresAt: number;
  scopes: string[];
  connectedAt: number;
  /** Lever refuses the grant (recorded in the store by any instance): the tenant needs reconnecting. */
  refused: GrantRefusal | null;
}

export interface OAuthGrants {
  /** The tenant's calls: Bearer with its access token, refreshed ahead of expiry and after a 401. */
  authFor(tenant: string): LeverAuth;
  /** Keeps what the code exchange gave, as a new grant. */
  save(tenant: string, answer: TokenAnswer): Promise<GrantStatus>;
  status(tenant: string): Promise<GrantStatus | undefined>;
  /**
   * Records in the stored grant that Lever refuses it (compare-and-swap; a grant already marked, or
   * none, is left as it is). True when this call recorded it.
   */
  markRefused(tenant: string, reason: string): Promise<boolean>;
  forget(tenant: string): Promise<boolean>;
}

/**
 * The OAuth tenants' tokens. An access token is refreshed when less than `refreshAheadMs` of it is
 * left. Lever's refresh tokens rotate (a used one is refused with invalid_grant), so a refresh must
 * happen once across every instance sharing the store: an instance first takes a lease on the grant
 * with a compare-and-swap write (`refreshing` in the record), and only the lease's holder calls
 * Lever; it then swaps in the new pair, lease released, in one write. An instance that finds
 * another's lease waits (polling the store) and uses the tokens it wrote; a lease whose holder died
 * is taken over once it has run out. In one process, concurrent callers share one refresh. A grant
 * Lever refuses (invalid_grant) throws an error with `details.needsReconnecting`, which degrades the
 * tenant (see credentialRefusal): its deliveries wait until it is connected again.
 */
export function createOAuthGrants(options: {
  app: LeverOAuthApp;
  vault: CredentialVault;
  clock: Clock;
  log: Logger;
  /** How a waiting instance waits between two looks at the store (tests advance a manual clock). */
  sleep: (ms: number) => Promise<void>;
  http?: typeof fetch;
  timeoutMs?: number;
  refreshAheadMs?: number;
  /** How long a refresh lease holds: longer than a token request may take. */
  refreshLeaseMs?: number;
  refreshPollMs?: number;
  /** Names this instance in the leases it takes; random by default. */
  instanceId?: string;
}): OAuthGrants {
  const { app, vault, clock, log, sleep } = options;
  const refreshAheadMs = options.refreshAheadMs ?? 5 * 60_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const leaseMs = options.refreshLeaseMs ?? Math.max(30_000, 3 * timeoutMs);
  const pollMs = options.refreshPollMs ?? 250;
  const instanceId = options.instanceId ?? randomUUID();
  const request = {
    ...(options.http ? { http: options.http } : {}),
    timeoutMs,
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

  /** A grant marked refused: the error every instance throws instead of calling Lever with it. */
  const refusedGrant = (tenant: string, refusal: GrantRefusal) =>
    new StagegateError(
      'LEVER_API',
      `Lever refuses the grant of tenant ${tenant} (recorded ${new Date(refusal.since).toISOString()}): ${refusal.reason.replace(/^needs reconnecting: /, '')}; a Super Admin connects it again (stagegate connect --tenant ${tenant})`,
      {
        details: {
          status: 401,
          needsReconnecting: true,
          reason: 'grant-refused',
          recordedRefusal: { reason: refusal.reason, since: refusal.since },
        },
      },
    );

  const read = async (tenant: string) => {
    const grant = await vault.read<StoredGrant>(tenant, grantKind);
    if (grant === undefined) throw notConnected(tenant);
    if (grant.refused !== undefined) throw refusedGrant(tenant, grant.refused);
    return grant;
  };

  /** The refusal as recorded: the refresh's invalid_grant says why in its message. */
  const refusalOf = (error: unknown): GrantRefusal | undefined =>
    error instanceof StagegateError && error.details.needsReconnecting === true
      ? { reason: `needs reconnecting: ${error.message}`, since: clock.now() }
      : undefined;

  const withoutLease = ({ refreshing: _lease, ...grant }: StoredGrant): StoredGrant => grant;

  /** Takes the lease (or waits for the holder's tokens), then refreshes: the newest grant. */
  async function refreshAcross(tenant: string, stale: StoredGrant): Promise<StoredGrant> {
    // Enough looks to outwait a full lease, and a few lost compare-and-swaps besides.
    const looks = Math.ceil(leaseMs / pollMs) + 20;
    for (let look = 0; look < looks; look++) {
      const found = await vault.readVersioned<StoredGrant>(tenant, grantKind);
      if (found === undefined) throw notConnected(tenant);
      const current = found.value;
      if (current.refused !== undefined) throw refusedGrant(tenant, current.refused);
      // Another refresh (here or on another instance) finished since `stale` was read: its tokens.
      if (current.accessToken !== stale.accessToken) return withoutLease(current);
      const lease = current.refreshing;
      if (lease !== undefined && lease.by !== instanceId && lease.until > clock.now()) {
        await sleep(pollMs);
        continue;
      }
      const base = withoutLease(current);
      const claim: StoredGrant = { ...base, refreshing: { by: instanceId, until: clock.now() + leaseMs } };
      const claimed = await vault.writeIf(tenant, grantKind, claim, found.version);
      // Another instance wrote first (its lease, or its tokens): look again.
      if (claimed === false) continue;
      if (lease !== undefined && lease.by !== instanceId) {
        log.warn({ tenant, grantId: base.grantId }, 'lever oauth: a refresh lease ran out; taken over');
      }
      return refreshHolding(tenant, base, claimed.version);
    }
    throw new StagegateError(
      'LEVER_UNREACHABLE',
      `the access token of tenant ${tenant} is being refreshed by another instance, which has not finished`,
      { details: { reason: 'refresh-lease', path: 'oauth/token' } },
    );
  }

  /** With the lease held (the record at `version`): one token request, and the new pair swapped in. */
  async function refreshHolding(tenant: string, base: StoredGrant, version: string): Promise<StoredGrant> {
    let answer: TokenAnswer;
    try {
      answer = await requestToken(
        app,
        { grant_type: 'refresh_token', refresh_token: base.refreshToken },
        request,
      );
    } catch (error) {
      // The lease is given back at once, so another instance need not wait it out to try. A grant
      // Lever refused is marked so in the same write: every instance then shows the tenant as
      // needing reconnecting, and none asks Lever again with the refused refresh token.
      const refused = refusalOf(error);
      const back: StoredGrant = refused === undefined ? base : { ...base, refused };
      await vault.writeIf(tenant, grantKind, back, version).catch(() => false);
      throw error;
    }
    const next: StoredGrant = {
      ...base,
      accessToken: answer.accessToken.reveal(),
      refreshToken: answer.refreshToken?.reveal() ?? base.refreshToken,
      expiresAt: clock.now() + answer.expiresInMs,
      scopes: answer.scopes.length > 0 ? answer.scopes : base.scopes,
    };
    let expected = version;
    for (let attempt = 0; attempt < 5; attempt++) {
      if ((await vault.writeIf(tenant, grantKind, next, expected)) !== false) {
        log.info(
          { tenant, grantId: next.grantId, expiresAt: next.expiresAt },
          'lever oauth: access token refreshed',
        );
        return next;
      }
      // The lease was broken while Lever answered (it ran out). Lever has rotated the refresh token
      // this instance used: whatever still holds that one is older than this pair. A new grant (a
      // reconnect) is newer, and stays.
      const now = await vault.readVersioned<StoredGrant>(tenant, grantKind);
      if (
        now === undefined ||
        now.value.grantId !== base.grantId ||
        now.value.refreshToken !== base.refreshToken
      ) {
        log.warn({ tenant, grantId: base.grantId }, 'lever oauth: a refreshed token was superseded');
        return now === undefined ? next : withoutLease(now.value);
      }
      expected = now.version;
    }
    throw new StagegateError(
      'STORE_FAILED',
      `the refreshed tokens of tenant ${tenant} could not be stored: the grant kept changing`,
      { details: { reason: 'refresh-store' } },
    );
  }

  const refresh = (tenant: string, stale: StoredGrant): Promise<StoredGrant> => {
    let running = refreshing.get(tenant);
    if (running === undefined) {
      running = refreshAcross(tenant, stale).finally(() => refreshing.delete(tenant));
      refreshing.set(tenant, running);
    }
    return running;
  };

  const statusOf = (grant: StoredGrant): GrantStatus => ({
    grantId: grant.grantId,
    expiresAt: grant.expiresAt,
    scopes: grant.scopes,
    connectedAt: grant.connectedAt,
    refused: grant.refused ?? null,
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
        async renew(refused) {
          const grant = await read(tenant);
          // Replaced since the refused call read it (a refresh here or on another instance): that
          // refresh's token is the new one; a second refresh would only rotate the pair again.
          if (`Bearer ${grant.accessToken}` === refused.authorization) await refresh(tenant, grant);
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
    async markRefused(tenant, reason) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const found = await vault.readVersioned<StoredGrant>(tenant, grantKind);
        if (found === undefined || found.value.refused !== undefined) return false;
        const marked: StoredGrant = { ...found.value, refused: { reason, since: clock.now() } };
        if ((await vault.writeIf(tenant, grantKind, marked, found.version)) !== false) return true;
      }
      return false;
    },
    forget: (tenant) => vault.forget(tenant, grantKind),
  };
}
