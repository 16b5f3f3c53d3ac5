import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import { Secret } from '../../kernel/secret.js';
import type { CredentialVault } from '../../store/create-credential-vault.js';
import type { DegradedTenants } from '../create-degraded-tenants.js';
import type { LeverClient } from '../create-lever-client.js';
import type { OAuthGrants } from './create-oauth-grants.js';
import { authorizeLink, type LeverOAuthApp } from './oauth-app.js';
import { requestToken } from './request-token.js';

/** The webhooks a connected tenant gets, each with its own signature token. */
export const registeredEvents = [
  'candidateStageChange',
  'candidateArchiveChange',
  'candidateHired',
  'candidateDeleted',
] as const;

const stateKind = 'lever-connect-state';
const webhooksKind = 'lever-webhooks';

interface PendingState {
  nonce: string;
  expiresAt: number;
}

interface RegisteredWebhooks {
  url: string;
  webhooks: { id: string; event: string; signatureToken: string }[];
}

export interface ConnectResult {
  tenant: string;
  scopes: string[];
  /** Per event: created, updated (it existed, made by this service), or recreated (its token was lost). */
  webhooks: { event: string; id: string; outcome: 'created' | 'updated' | 'recreated' }[];
}

/** What `stagegate check` reports of an OAuth tenant: no token in it. */
export interface LeverConnection {
  connected: boolean;
  connectedAt: number | null;
  scopes: string[];
  /** Asked for by the app, not granted. */
  missingScopes: string[];
  /** null when Lever answered a call with the grant. */
  tokenProblem: string | null;
  expectedUrl: string | null;
  /** Per event stagegate registers: null when it is in Lever and points at expectedUrl. */
  webhooks: { event: string; id: string | null; problem: string | null }[];
}

export interface LeverConnector {
  /** Reads only: whether the grant works, its scopes, and the registered webhooks in Lever. */
  inspect(tenant: string): Promise<LeverConnection>;
  /** A one-time link to Lever's consent page for the tenant; a newer link replaces an older one. */
  begin(tenant: string): Promise<{ link: string; expiresAt: number }>;
  /** The callback: checks `state`, exchanges the code, stores the grant, registers the webhooks. */
  complete(query: Record<string, unknown>): Promise<ConnectResult>;
  /** Deletes the webhooks it registered and forgets the tokens. */
  disconnect(tenant: string): Promise<{ webhooksDeleted: number; webhooksLeft: string[] }>;
  /** The signature tokens of the tenant's registered webhooks, per event, for intake. */
  webhookTokens(tenant: string): Promise<Record<string, Secret[]>>;
}

/**
 * The connect flow of an OAuth tenant. The `state` is `<tenant>.<random nonce>`; the nonce is kept
 * sealed in the store with its expiry and deleted when used, so a state is single-use, expires, and
 * cannot be made for another tenant. Nothing is stored until the state checks out.
 */
export function createLeverConnector(options: {
  app: LeverOAuthApp;
  vault: CredentialVault;
  grants: OAuthGrants;
  clock: Clock;
  log: Logger;
  /** The tenant's Lever client, calling with its OAuth grant. */
  lever(tenant: string): LeverClient;
  /** Where Lever delivers webhooks: STAGEGATE_PUBLIC_URL; null when there is none. */
  publicUrl(): string | null;
  /** Whether the tenant is loaded with `lever.auth: oauth`. */
  isOAuthTenant(tenant: string): boolean;
  degraded?: Pick<DegradedTenants, 'accepted'>;
  http?: typeof fetch;
  stateTtlMs?: number;
}): LeverConnector {
  const { app, vault, grants, clock, log } = options;
  const stateTtlMs = options.stateTtlMs ?? 10 * 60_000;
  const refused = (why: string, reason: string) =>
    new StagegateError('UNAUTHORIZED', why, { details: { reason, page: why } });

  const webhookUrl = (tenant: string) => {
    const base = options.publicUrl();
    if (base === null) {
      throw new StagegateError(
        'CONFLICT',
        'STAGEGATE_PUBLIC_URL is not set: Lever needs an address to deliver the webhooks to',
      );
    }
    return `${base}/webhooks/lever/${encodeURIComponent(tenant)}`;
  };

  const checkTenant = (tenant: string) => {
    if (!options.isOAuthTenant(tenant)) {
      throw new StagegateError('CONFLICT', `tenant ${tenant} is not loaded with lever.auth: oauth`, {
        details: { tenant },
      });
    }
  };

  /** Creates what is missing, updates what this service made before; never a second webhook per event. */
  async function register(tenant: string): Promise<ConnectResult['webhooks']> {
    const lever = options.lever(tenant);
    const url = webhookUrl(tenant);
    const known = (await vault.read<RegisteredWebhooks>(tenant, webhooksKind))?.webhooks ?? [];
    const existing = await lever.listWebhooks();
    const kept: RegisteredWebhooks['webhooks'] = [];
    const outcomes: ConnectResult['webhooks'] = [];
    for (const event of registeredEvents) {
      const ours = existing.find(
        (webhook) =>
          webhook.event === event && (webhook.url === url || known.some((k) => k.id === webhook.id)),
      );
      const token = known.find((k) => k.id === ours?.id)?.signatureToken;
      if (ours !== undefined && token !== undefined) {
        const updated = await lever.updateWebhook(ours.id, { url, event });
        kept.push({ id: updated.id, event, signatureToken: token });
        outcomes.push({ event, id: updated.id, outcome: 'updated' });
        continue;
      }
      // Lever shows a signature token only when it creates the webhook: one whose token is lost is made again.
      if (ours !== undefined) await lever.deleteWebhook(ours.id);
      const created = await lever.createWebhook({ url, event });
      const signatureToken = created.configuration?.signatureToken;
      if (typeof signatureToken !== 'string' || signatureToken === '') {
        throw new StagegateError(
          'LEVER_API',
          `Lever created the ${event} webhook without a signature token`,
          {
            details: { event, reason: 'malformed' },
          },
        );
      }
      kept.push({ id: created.id, event, signatureToken });
      // Stored after each one, so a failure half-way loses no token Lever will not show again.
      await vault.write(tenant, webhooksKind, {
        url,
        webhooks: [...known.filter((k) => !kept.some((c) => c.event === k.event)), ...kept],
      });
      outcomes.push({ event, id: created.id, outcome: ours === undefined ? 'created' : 'recreated' });
    }
    await vault.write(tenant, webhooksKind, { url, webhooks: kept } satisfies RegisteredWebhooks);
    return outcomes;
  }

  return {
    async inspect(tenant) {
      checkTenant(tenant);
      const grant = await grants.status(tenant);
      const base = options.publicUrl();
      const expectedUrl = base === null ? null : `${base}/webhooks/lever/${encodeURIComponent(tenant)}`;
      const known = (await vault.read<RegisteredWebhooks>(tenant, webhooksKind))?.webhooks ?? [];
      const empty = {
        connectedAt: null,
        scopes: [],
        missingScopes: [...app.scopes],
        tokenProblem: 'not connected',
        expectedUrl,
      };
      if (grant === undefined) {
        return {
          connected: false,
          ...empty,
          webhooks: registeredEvents.map((event) => ({ event, id: null, problem: 'not registered' })),
        };
      }
      const granted = new Set(grant.scopes);
      let tokenProblem: string | null = null;
      let inLever: Awaited<ReturnType<LeverClient['listWebhooks']>> = [];
      try {
        inLever = await options.lever(tenant).listWebhooks();
      } catch (error) {
        tokenProblem = error instanceof Error ? error.message : String(error);
      }
      return {
        connected: true,
        connectedAt: grant.connectedAt,
        scopes: grant.scopes,
        missingScopes: app.scopes.filter((scope) => !granted.has(scope)),
        tokenProblem,
        expectedUrl,
        webhooks: registeredEvents.map((event) => {
          const ours = known.find((k) => k.event === event);
          const there = inLever.find((w) => w.id === ours?.id);
          const problem =
            ours === undefined
              ? 'not registered by stagegate'
              : there === undefined
                ? `webhook ${ours.id} is no longer in Lever`
                : there.url !== expectedUrl
                  ? `webhook ${ours.id} delivers to ${there.url}, not to ${expectedUrl ?? 'this service (no STAGEGATE_PUBLIC_URL)'}`
                  : null;
          return { event, id: ours?.id ?? null, problem };
        }),
      };
    },

    async begin(tenant) {
      checkTenant(tenant);
      webhookUrl(tenant);
      const nonce = randomBytes(32).toString('base64url');
      const expiresAt = clock.now() + stateTtlMs;
      await vault.write(tenant, stateKind, { nonce, expiresAt } satisfies PendingState);
      log.info({ tenant, expiresAt }, 'lever oauth: connect link issued');
      return { link: authorizeLink(app, `${tenant}.${nonce}`), expiresAt };
    },

    async complete(query) {
      const state = typeof query.state === 'string' ? query.state : '';
      const dot = state.indexOf('.');
      const tenant = dot > 0 ? state.slice(0, dot) : '';
      const nonce = state.slice(dot + 1);
      const invalid = () =>
        refused(
          'This connect link is not valid: it was used already, replaced by a newer one, or not issued by this service. Ask for a new link (stagegate connect).',
          'state',
        );
      if (tenant === '' || nonce === '' || !/^[a-z0-9-]+$/.test(tenant)) throw invalid();
      const pending = await vault.read<PendingState>(tenant, stateKind);
      if (pending === undefined || !sameText(pending.nonce, nonce)) throw invalid();
      // Used up now, whatever follows: of two callbacks with one state, one goes on.
      if (!(await vault.forget(tenant, stateKind))) throw invalid();
      if (clock.now() > pending.expiresAt) {
        throw refused(
          'This connect link has expired (links last 10 minutes). Ask for a new one (stagegate connect).',
          'expired',
        );
      }
      if (typeof query.error === 'string') {
        throw refused(
          `Lever did not grant access (${query.error.slice(0, 60)}); nothing was changed. Ask for a new link to try again.`,
          'declined',
        );
      }
      const code = typeof query.code === 'string' ? query.code : '';
      if (code === '') throw new StagegateError('BAD_JSON', 'The callback has no code.');
      checkTenant(tenant);
      const answer = await requestToken(
        app,
        { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri },
        options.http ? { http: options.http } : {},
      );
      const grant = await grants.save(tenant, answer);
      log.info({ tenant, grantId: grant.grantId, scopes: grant.scopes }, 'lever oauth: tenant connected');
      const webhooks = await register(tenant);
      options.degraded?.accepted(tenant);
      log.info({ tenant, webhooks }, 'lever oauth: webhooks registered');
      return { tenant, scopes: grant.scopes, webhooks };
    },

    async disconnect(tenant) {
      const registered = (await vault.read<RegisteredWebhooks>(tenant, webhooksKind))?.webhooks ?? [];
      const left: string[] = [];
      let deleted = 0;
      if (registered.length > 0) {
        const lever = options.lever(tenant);
        for (const webhook of registered) {
          try {
            await lever.deleteWebhook(webhook.id);
            deleted += 1;
          } catch (error) {
            // Already gone is as good as deleted; anything else is left for the customer to remove.
            if (error instanceof StagegateError && error.details.status === 404) deleted += 1;
            else left.push(webhook.id);
          }
        }
      }
      await vault.forget(tenant, webhooksKind);
      await grants.forget(tenant);
      await vault.forget(tenant, stateKind);
      log.info({ tenant, deleted, left }, 'lever oauth: tenant disconnected');
      return { webhooksDeleted: deleted, webhooksLeft: left };
    },

    async webhookTokens(tenant) {
      const registered = await vault.read<RegisteredWebhooks>(tenant, webhooksKind);
      const tokens: Record<string, Secret[]> = {};
      for (const webhook of registered?.webhooks ?? []) {
        tokens[webhook.event] = [...(tokens[webhook.event] ?? []), new Secret(webhook.signatureToken)];
      }
      return tokens;
    },
  };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
