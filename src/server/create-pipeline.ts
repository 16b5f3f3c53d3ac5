import type { Logger } from 'pino';
import type { TenantRegistry } from '../config/tenant-registry.js';
import type { TenantSnapshot } from '../config/types.js';
import { createLeverCache } from '../enrich/create-lever-cache.js';
import { createExecutor, type Executor } from '../execute/create-executor.js';
import { checkInvitation, createPoller } from '../execute/create-poller.js';
import { defaultRetrySchedule } from '../execute/retry-policy.js';
import { callbackToken } from '../intake/callback-token.js';
import type { IntakeMetrics } from '../intake/create-metrics.js';
import type { Action } from '../kernel/actions.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError } from '../kernel/errors.js';
import { createLeverClient, type LeverClient } from '../lever/create-lever-client.js';
import type { LeverAuth } from '../lever/create-lever-transport.js';
import {
  createDegradedTenants,
  credentialObserver,
  type DegradedTenants,
  type TenantDegraded,
} from '../lever/degraded-tenants.js';
import type { OAuthGrants } from '../lever/oauth/create-oauth-grants.js';
import { createBucketRegistry, type SharedRateBudgets } from '../lever/rate-limit.js';
import { createGreenhousePartnerProvider } from '../providers/greenhouse-partner/create-greenhouse-partner-provider.js';
import { createSandboxProvider, type SandboxProvider } from '../providers/sandbox/create-sandbox-provider.js';
import type { AssessmentProvider } from '../providers/types.js';
import { createInboxWorker, type InboxWorker } from '../run/create-inbox-worker.js';
import { localSingletons, type Singletons } from '../store/claims.js';
import type { InboxItem, InvitationRecord, PruneReport, Store } from '../store/types.js';
import { createPipelineSchedule, type PipelineSchedule } from './create-pipeline-schedule.js';

export interface Pipeline {
  worker: InboxWorker;
  /** The Lever client of a tenant version (one token bucket per API key). */
  lever(tenant: TenantSnapshot): LeverClient;
  executor: Executor;
  /** The tenants whose Lever key Lever refuses now (for /readyz and the admin status). */
  degraded: DegradedTenants;
  /**
   * Whether the tenant is degraded, as /readyz, the admin status and the console show it: for an
   * OAuth tenant with a grant, what its stored grant says (shared by every instance on the store,
   * cleared by a reconnect); otherwise this process's memory (API keys are per instance).
   */
  degradedShown(tenant: string): Promise<TenantDegraded | null>;
  /** A delivery is durable: decide it, then carry out its actions. */
  accepted(item: InboxItem): void;
  /** A vendor called back about an invitation: check it now. */
  callback(invitation: InvitationRecord): void;
  poll(): Promise<{ checked: number; completed: number }>;
  completeSandbox(tenant: string, invitationId: string, score: number | null): Promise<void>;
  /** Resolves once no delivery waits for its decision and no action is due or running. */
  idle(): Promise<void>;
  /** Retention: drops finished records past their age (the store's retention), logs and counts them. */
  prune(): Promise<PruneReport>;
  /** Starts the background loops (create-pipeline-schedule.ts). */
  start: PipelineSchedule['start'];
  stop: PipelineSchedule['stop'];
}

/**
 * Wires the steps after intake: one Lever client per tenant version (one token bucket per API key,
 * shared by enrichment and the executor), one provider per tenant, the inbox worker, the executor,
 * and the poller. Their timers and loops are create-pipeline-schedule.ts's.
 */
export function createPipeline(options: {
  store: Store;
  /** Keeps the poller's and retention's timers to one instance; by default this process runs them. */
  singletons?: Singletons;
  registry: TenantRegistry;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  log: Logger;
  metrics: IntakeMetrics;
  callbackSecret: string;
  /**
   * The address vendors call back, without a trailing slash; null when there is none to give (then
   * every tenant whose vendor calls back is not ready, and only the sandbox sends).
   */
  publicUrl(): string | null;
  retrySchedule: readonly number[] | null;
  /** Lever requests per second per API key; 9.6 unless the operator sets STAGEGATE_LEVER_RATE. */
  leverRatePerSecond?: number;
  /**
   * On PostgreSQL: the rate budgets every instance on the database spends together. Without them,
   * one token bucket per key in this process (the embedded stores, which one process owns).
   */
  rateBudgets?: SharedRateBudgets | null;
  /** Per request to Lever or a vendor; 10 s unless the operator sets STAGEGATE_HTTP_TIMEOUT_SECONDS. */
  httpTimeoutMs?: number;
  /** How long the worker retries a delivery while Lever is unavailable: the replay window (72 h by default). */
  deliveryRetryForMs?: number;
  /** OAuth tenants' tokens; null when the operator has not configured a Lever app. */
  grants?: OAuthGrants | null;
}): Pipeline {
  const { store, registry, clock, sleep, log, metrics } = options;
  const tenantOf = (id: string) => registry.get(id)?.snapshot ?? undefined;
  const timeout = options.httpTimeoutMs === undefined ? {} : { timeoutMs: options.httpTimeoutMs };

  // Lever allows 10 requests/s per key with bursts to 20 "when possible". Running at exactly its
  // refill rate leaves no margin, so timer jitter under load turns into 429s: keep 4 % and half the
  // burst in hand (measured by bench/executor.bench.ts).
  const ratePerSecond = options.leverRatePerSecond ?? 9.6;
  const buckets = createBucketRegistry({
    clock,
    sleep,
    ratePerSecond,
    capacity: Math.max(1, Math.min(10, Math.floor(ratePerSecond))),
    shared: options.rateBudgets ?? null,
  });
  const clients = new WeakMap<TenantSnapshot, LeverClient>();
  const degraded = createDegradedTenants({ clock, log });
  // A new version of a tenant (a rotated key put in, say) ends its deliveries' backoff at once.
  registry.onReload(({ tenant, outcome }) => {
    if (outcome !== 'loaded') return;
    worker.retryNow(tenant);
    executor.retryNow(tenant).catch((error: unknown) => log.error({ err: error, tenant }, 'executor error'));
  });
  const lever = (tenant: TenantSnapshot) => {
    let client = clients.get(tenant);
    if (!client) {
      const apiKey = tenant.secrets?.leverApiKey;
      const oauth = tenant.settings.lever.auth === 'oauth';
      if (!tenant.secrets || (!oauth && !apiKey)) {
        throw new StagegateError('TENANT_NOT_READY', `tenant ${tenant.id} is not ready`);
      }
      const auth: LeverAuth | undefined = oauth
        ? (options.grants?.authFor(tenant.id) ?? noOAuthApp(tenant.id))
        : undefined;
      client = createLeverClient({
        baseUrl: tenant.settings.lever.baseUrl,
        ...(auth === undefined ? { apiKey: apiKey?.reveal() ?? '' } : { auth }),
        clock,
        sleep,
        buckets,
        ...timeout,
        log: log.child({ tenant: tenant.id, component: 'lever' }),
        onOutcome: credentialObserver(
          tenant.id,
          degraded,
          oauth && options.grants
            ? (reason) => {
                const grants = options.grants as OAuthGrants;
                grants
                  .markRefused(
                    tenant.id,
                    reason.startsWith('needs reconnecting') ? reason : `needs reconnecting: ${reason}`,
                  )
                  .catch((error: unknown) =>
                    log.warn(
                      { err: error, tenant: tenant.id },
                      'lever oauth: could not record the refused grant; other instances find it at their next call',
                    ),
                  );
              }
            : undefined,
        ),
      });
      clients.set(tenant, client);
    }
    return client;
  };

  // The sandbox keeps its invitations in memory, per tenant id, across reloads of the tenant.
  const sandboxes = new Map<string, SandboxProvider>();
  const sandboxOf = (tenant: TenantSnapshot): SandboxProvider => {
    let sandbox = sandboxes.get(tenant.id);
    if (!sandbox) {
      const tenantId = tenant.id;
      sandbox = createSandboxProvider({
        tests: Object.entries(tenant.settings.tests).map(([name, test]) => ({
          id: test.providerTestId,
          name,
        })),
        // After a restart: an invitation this tenant sent through the sandbox, by its id.
        recall: async (vendorInvitationId) => {
          const invitation = await store.getInvitation(vendorInvitationId.replace(/^sbx-/, ''));
          return invitation?.tenant === tenantId && invitation.vendorInvitationId === vendorInvitationId;
        },
      });
      sandboxes.set(tenantId, sandbox);
    }
    return sandbox;
  };
  const vendors = new WeakMap<TenantSnapshot, AssessmentProvider>();
  const provider = (tenant: TenantSnapshot): AssessmentProvider => {
    if (tenant.settings.provider.kind === 'sandbox') return sandboxOf(tenant);
    let vendor = vendors.get(tenant);
    if (!vendor) {
      const apiKey = tenant.secrets?.providerApiKey;
      if (!apiKey || !tenant.settings.provider.baseUrl) {
        throw new StagegateError('TENANT_NOT_READY', `tenant ${tenant.id} has no vendor key or URL`);
      }
      vendor = createGreenhousePartnerProvider({
        baseUrl: tenant.settings.provider.baseUrl,
        apiKey: apiKey.reveal(),
        ...timeout,
        log: log.child({ tenant: tenant.id, component: 'provider' }),
      });
      vendors.set(tenant, vendor);
    }
    return vendor;
  };

  const executor = createExecutor({
    store,
    tenant: tenantOf,
    lever,
    provider,
    clock,
    log: log.child({ component: 'executor' }),
    schedule: options.retrySchedule ?? defaultRetrySchedule,
    // Without a public address the path alone: the sandbox never calls it, and a tenant whose vendor
    // calls back is not ready then (see checkPublicUrl), so no vendor is handed it.
    callbackUrl: (tenant, invitationId) =>
      `${options.publicUrl() ?? ''}/callbacks/assessments/${encodeURIComponent(tenant)}/${invitationId}/${callbackToken(options.callbackSecret, tenant, invitationId)}`,
    onOutcome: (record, outcome) =>
      metrics.actions.inc({ tenant: record.tenant, type: (record.action as Action).type, outcome }),
  });

  const worker: InboxWorker = createInboxWorker({
    store,
    tenant: tenantOf,
    lever,
    cache: createLeverCache(),
    clock,
    sleep,
    log,
    ...(options.deliveryRetryForMs === undefined ? {} : { retryForMs: options.deliveryRetryForMs }),
    onDecision: (decision, elapsedMs) => {
      metrics.decisionSeconds.observe({ tenant: decision.tenant }, elapsedMs / 1000);
      void schedule.drain();
    },
    onOutcome: (item, outcome) => metrics.inboxOutcomes.inc({ tenant: item.tenant, outcome }),
  });
  const accepted = (item: InboxItem) => worker.enqueue(item);
  const poller = createPoller({ store, tenant: tenantOf, provider, clock, log, onCompleted: accepted });
  const check = async (invitation: InvitationRecord) => {
    const tenant = tenantOf(invitation.tenant);
    if (!tenant?.secrets) return;
    await checkInvitation({
      invitation,
      provider: provider(tenant),
      store,
      now: clock.now(),
      log,
      onCompleted: accepted,
    });
  };

  const prune = async (): Promise<PruneReport> => {
    const report = await store.prune(clock.now());
    const counts = {
      inbox: report.inbox.length,
      decisions: report.decisions.length,
      actions: report.actions.length,
      dedupe_tokens: report.dedupeTokens,
    };
    for (const [kind, count] of Object.entries(counts)) if (count > 0) metrics.pruned.inc({ kind }, count);
    const removed = Object.values(counts).some((count) => count > 0);
    log[removed ? 'info' : 'debug'](
      { component: 'retention', pruned: counts },
      'retention: pruned finished records',
    );
    return report;
  };
  const schedule = createPipelineSchedule({
    executor,
    worker,
    poller,
    prune,
    singletons: options.singletons ?? localSingletons,
    log,
  });
  const checks = new Set<Promise<void>>();
  return {
    worker,
    executor,
    degraded,
    async degradedShown(id) {
      const oauth = tenantOf(id)?.settings.lever.auth === 'oauth';
      const grant = oauth && options.grants ? await options.grants.status(id) : undefined;
      const local = degraded.get(id);
      if (grant === undefined) return local;
      // What this process saw before the grant was made (a reconnect elsewhere) is about the old one.
      return grant.refused ?? (local !== null && local.since > grant.connectedAt ? local : null);
    },
    lever,
    accepted,
    callback(invitation) {
      const running = check(invitation)
        .catch((error: unknown) =>
          log.warn(
            { err: error, invitation: invitation.id },
            'callback: vendor check failed; the poller will retry',
          ),
        )
        .finally(() => checks.delete(running));
      checks.add(running);
    },
    poll: () => poller.poll(),
    async completeSandbox(tenantId, invitationId, score) {
      const invitation = await store.getInvitation(invitationId);
      const tenant = tenantOf(tenantId);
      const sandbox = tenant?.settings.provider.kind === 'sandbox' ? sandboxOf(tenant) : undefined;
      if (!invitation || invitation.tenant !== tenantId || !invitation.vendorInvitationId || !sandbox) {
        throw new StagegateError('NOT_FOUND', `no sandbox invitation ${invitationId} for tenant ${tenantId}`);
      }
      await sandbox.complete(invitation.vendorInvitationId, score);
      await check(invitation);
    },
    async idle() {
      for (;;) {
        await Promise.all([...checks]);
        await worker.idle();
        // A tick started elsewhere (the drain after each decision, the timer) may still be waiting
        // on Lever or a vendor; this tick would skip its opportunities and find nothing to do.
        await executor.settled();
        const ran = await executor.tick();
        if (worker.depth() === 0 && ran === 0 && checks.size === 0) return;
        // Let timers run (the store's group commit among them) before looking again.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    prune,
    start: schedule.start,
    stop: schedule.stop,
  };
}

/** An OAuth tenant on a service with no Lever app configured: degraded, its deliveries waiting. */
function noOAuthApp(tenant: string): LeverAuth {
  return {
    async credential() {
      throw new StagegateError(
        'LEVER_API',
        `tenant ${tenant} uses lever.auth: oauth, but the operator has not configured a Lever app (STAGEGATE_LEVER_CLIENT_ID)`,
        { details: { status: 401, needsReconnecting: true, reason: 'no-oauth-app' } },
      );
    },
  };
}
