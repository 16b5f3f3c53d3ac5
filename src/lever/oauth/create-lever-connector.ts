import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { StagegateError } from '../../kernel/errors.js';
import { Secret } from '../../kernel/secret.js';
import type { CredentialVault } from '../../store/credentials.js';
import type { LeverClient } from '../create-lever-client.js';
import type { DegradedTenants } from '../degraded-tenants.js';
import type { Stage } from '../types.js';
import type { OAuthGrants } from './create-oauth-grants.js';
import { authorizeLink, type LeverOAuthApp, requestToken } from './oauth-app.js';

/** The webhooks a connected tenant gets, each with its own signature token. */
export const registeredEvents = [
  'candidateStageChange',
  'candidateArchiveChange',
  'candidateHired',
  'candidateDeleted',
] as const;

const stateKind = 'lever-connect-state';
const webhooksKind = 'lever-webhooks';
const statePurpose = 'lever-connect-state';
const usedStatesKept = 10;

/**
 * The tenant's connect links (kind `lever-connect-state`): the one that works now, and the nonces
 * of those used lately, so a replay is told apart from a link replaced by a newer one. Changed
 * only by compare-and-swap, so of two callbacks with one link (or a callback and a newer link) one
 * wins.
 */
interface ConnectStates {
  pending: { nonce: string; expiresAt: number } | null;
  used: string[];
}

/** What the `state` carries, sealed by the vault: whom it was issued for, and until when. */
interface IssuedState {
  tenant: string;
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
  /** Lever's stages as the grant reads them (for the trigger stages' names); null when not read. */
  stages: Stage[] | null;
  /** Why the stages could not be read (a missing scope, say); null when they were. */
  stagesProblem: string | null;
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
 * The connect flow of an OAuth tenant. The `state` is `<tenant>.<sealed>`: the tenant, a random
 * nonce and the expiry, sealed by the vault (so this service alone can have made it, and the tenant
 * in it cannot be changed unseen). The tenant's pending nonce is kept in the store and deleted when
 * used, so a state is single-use, and a newer link replaces an older one. Nothing is stored until
 * the state checks out, and a refusal says which check failed: not issued here, altered to name
 * another tenant, expired, used already, replaced, or Lever's consent refused.
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

  /** Reads the tenant's connect links, changes them (undefined: leaves them), and swaps them in. */
  async function swapStates(
    tenant: string,
    change: (states: ConnectStates) => ConnectStates | undefined,
  ): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const found = await vault.readVersioned<Partial<ConnectStates>>(tenant, stateKind);
      // A record written before this shape (`{nonce, expiresAt}`: its link cannot check out) counts as none.
      const states: ConnectStates = {
        pending: found?.value.pending ?? null,
        used: Array.isArray(found?.value.used) ? found.value.used : [],
      };
      const next = change(states);
      if (next === undefined) return;
      if ((await vault.writeIf(tenant, stateKind, next, found?.version ?? null)) !== false) return;
    }
    throw new StagegateError('CONFLICT', `the connect links of tenant ${tenant} kept changing; try again`);
  }

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
          stages: null,
          stagesProblem: 'not connected',
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
      let stages: Stage[] | null = null;
      let stagesProblem: string | null = tokenProblem === null ? null : 'Lever does not accept the grant';
      if (tokenProblem === null) {
        try {
          stages = await options.lever(tenant).listStages();
        } catch (error) {
          stagesProblem = error instanceof Error ? error.message : String(error);
        }
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
        stages,
        stagesProblem,
      };
    },

    async begin(tenant) {
      checkTenant(tenant);
      webhookUrl(tenant);
      const nonce = randomBytes(32).toString('base64url');
      const expiresAt = clock.now() + stateTtlMs;
      await swapStates(tenant, (states) => ({ ...states, pending: { nonce, expiresAt } }));
      const sealed = vault.seal(statePurpose, { tenant, nonce, expiresAt } satisfies IssuedState);
      log.info({ tenant, expiresAt }, 'lever oauth: connect link issued');
      return { link: authorizeLink(app, `${tenant}.${sealed}`), expiresAt };
    },

    async complete(query) {
      const state = typeof query.state === 'string' ? query.state : '';
      const dot = state.indexOf('.');
      const tenant = dot > 0 ? state.slice(0, dot) : '';
      const issued =
        tenant !== '' && /^[a-z0-9-]+$/.test(tenant)
          ? vault.unseal<IssuedState>(statePurpose, state.slice(dot + 1))
          : undefined;
      const ask = 'Ask for a new link (stagegate connect).';
      if (issued === undefined || typeof issued.nonce !== 'string') {
        throw refused(
          `This connect link was not issued by this service (its state does not check out); nothing was changed. ${ask}`,
          'forged',
        );
      }
      if (issued.tenant !== tenant) {
        // The tenant it was issued for is not named: the page is seen by whoever holds the link.
        throw refused(
          `This connect link was issued for another tenant than the one it names (it was altered); nothing was changed. ${ask}`,
          'tenant-mismatch',
        );
      }
      if (clock.now() > issued.expiresAt) {
        throw refused(
          `This connect link has expired (links last ${Math.round(stateTtlMs / 60_000)} minutes); nothing was changed. ${ask}`,
          'expired',
        );
      }
      const replayed = () =>
        refused(`This connect link was used already; a link works once. ${ask}`, 'replayed');
      // Used up now, whatever follows: of two callbacks with one state, one goes on.
      let outcome = 'replaced' as 'used' | 'replayed' | 'replaced';
      await swapStates(tenant, (states) => {
        if (states.pending !== null && sameText(states.pending.nonce, issued.nonce)) {
          outcome = 'used';
          return { pending: null, used: [...states.used, issued.nonce].slice(-usedStatesKept) };
        }
        outcome = states.used.includes(issued.nonce) ? 'replayed' : 'replaced';
        return undefined;
      });
      if (outcome === 'replayed') throw replayed();
      if (outcome === 'replaced') {
        throw refused(
          `A newer connect link was issued for this tenant since this one; only the newest works. Use it, or ${ask.charAt(0).toLowerCase()}${ask.slice(1)}`,
          'replaced',
        );
      }
      if (typeof query.error === 'string') {
        // Lever's error code is shown only when it looks like one (it comes back in the URL).
        const code = /^[a-z_]{1,40}$/.test(query.error) ? query.error : 'an error';
        throw refused(
          `Lever did not grant access (${code}): the consent was declined or failed; nothing was changed. To try again, ${ask.charAt(0).toLowerCase()}${ask.slice(1)}`,
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
      let webhooks: ConnectResult['webhooks'];
      try {
        webhooks = await register(tenant);
      } catch (error) {
        const missing = app.scopes.filter((scope) => !grant.scopes.includes(scope));
        if (!(error instanceof StagegateError) || error.details.status !== 403 || missing.length === 0) {
          throw error;
        }
        // The Super Admin unticked a permission: say which, since asking again is the fix.
        const page = `Lever granted access without ${missing.join(', ')}, so stagegate could not register its webhooks. Ask for a new link (stagegate connect) and accept every permission asked for.`;
        throw new StagegateError('LEVER_API', page, {
          cause: error,
          details: { status: 403, reason: 'scopes', page },
        });
      }
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
