import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type DestinationStream, pino } from 'pino';
import { createAdminRouter } from './admin/create-admin-router.js';
import { createOAuthCallbackRouter } from './admin/oauth-callback-routes.js';
import { createOperatorBearerCheck } from './admin/operator-tokens.js';
import { createSecretSources } from './config/read-secret-file.js';
import { createTenantRegistry } from './config/tenant-registry.js';
import { watchConfig } from './config/watch-config.js';
import { sessionKeyOf } from './console/console-session.js';
import { createConsoleRouter } from './console/create-console-router.js';
import { allowedClockSkewMs } from './intake/authenticate-delivery.js';
import { createApp } from './intake/create-app.js';
import { createMetrics } from './intake/create-metrics.js';
import { describeReadiness } from './intake/describe-readiness.js';
import { type Clock, systemClock } from './kernel/clock.js';
import { StagegateError } from './kernel/errors.js';
import { createLeverConnector, type LeverConnector } from './lever/oauth/create-lever-connector.js';
import { createOAuthGrants } from './lever/oauth/create-oauth-grants.js';
import { createBackfill } from './run/create-backfill.js';
import { createLiveExplain } from './run/create-live-explain.js';
import { callbackBase, checkPublicUrl } from './server/check-public-url.js';
import { createFsConfigFiles } from './server/create-fs-config-files.js';
import { createLogger } from './server/create-logger.js';
import { createPipeline, type Pipeline } from './server/create-pipeline.js';
import { openConfiguredStore } from './server/open-configured-store.js';
import { readOrCreateSecret, readOrCreateSharedSecret } from './server/read-or-create-secret.js';
import { readServerEnv } from './server/read-server-env.js';
import { createCredentialVault } from './store/credentials.js';
import type { Store } from './store/types.js';

export interface StartServerOptions {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Where the log lines go; stdout by default. */
  logDestination?: DestinationStream;
  /** Whether stdout is a terminal: STAGEGATE_LOG_FORMAT=auto then writes readable lines, not JSON. */
  stdoutIsTTY?: boolean;
  clock?: Clock;
  /** How retries and rate limits wait; tests pass one that does not wait for real time. */
  sleep?: (ms: number) => Promise<void>;
}

export interface RunningServer {
  url: string;
  store: Store;
  /** Resolves once every accepted delivery so far has been decided and no action is due or running. */
  idle(): Promise<void>;
  pipeline: Pipeline;
  /** Stops taking work, waits for the calls in flight, closes the store; logs why and when it is done. */
  close(reason?: string): Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The composition root: the one place that reads the environment, the disk and the real clock. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const config = readServerEnv(options.env, options.cwd);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? realSleep;
  const pretty =
    config.logFormat === 'pretty' ||
    (config.logFormat === 'auto' && options.logDestination === undefined && options.stdoutIsTTY === true);
  const log = createLogger({
    level: config.logLevel,
    destination: options.logDestination ?? pino.destination({ dest: 1, sync: true }),
    ...(pretty
      ? { pretty: { colour: options.stdoutIsTTY === true && options.env.NO_COLOR === undefined } }
      : {}),
  });
  // A dedupe token must outlive every acceptable resend of its delivery: one signed up to the allowed
  // clock skew ahead of us is accepted until the replay window has passed after its triggeredAt.
  const retention = {
    decisionsMs: config.retentionMs,
    dedupeMs: config.replayWindowMs + allowedClockSkewMs,
  };
  const { store, singletons, rateBudgets, serviceSecrets } = await openConfiguredStore(config, {
    clock,
    log,
    retention,
  });
  const closers: (() => Promise<void>)[] = [() => store.close()];
  let started = false;
  const close = async (reason?: string) => {
    const closing = closers.splice(0).reverse();
    if (closing.length === 0) return;
    if (started) {
      log.info(
        { reason: reason ?? 'close' },
        `stagegate stopping${reason === undefined ? '' : ` (${reason})`}: finishing the Lever and vendor calls in flight`,
      );
    }
    for (const closer of closing) await closer();
    if (started) log.info({ reason: reason ?? 'close' }, 'stagegate stopped');
  };
  try {
    const metrics = createMetrics({ work: store });
    const files = createFsConfigFiles();
    const registry = createTenantRegistry({
      tenantsDir: config.tenantsDir,
      rulesDir: config.rulesDir,
      files,
      secrets: createSecretSources({ env: options.env, secretsDir: config.secretsDir }),
      allowedHosts: config.allowedHosts,
      clock,
      log,
      publicUrlProblem: checkPublicUrl(config),
    });
    registry.onReload(({ tenant, outcome }) => metrics.configReloads.inc({ tenant, outcome }));
    let tenantsLoaded = false;
    await registry.loadAll();
    tenantsLoaded = true;
    const watcher = watchConfig({ dirs: [config.tenantsDir, config.rulesDir], registry, log });
    closers.push(() => watcher.close());
    await watcher.ready;

    // On PostgreSQL every instance must sign and check callback URLs alike: the database holds it.
    const callbackSecret =
      config.callbackSecret ??
      (serviceSecrets === null
        ? readOrCreateSecret(join(config.dataDir, 'callback-secret'))
        : await readOrCreateSharedSecret({
            secrets: serviceSecrets,
            name: 'callback-secret',
            keys: config.secretKeys,
          }));
    let listeningUrl = '';
    const vault =
      config.secretKeys === null ? null : createCredentialVault({ store, keys: config.secretKeys, clock });
    const grants =
      config.leverOAuth === null || vault === null
        ? null
        : createOAuthGrants({
            app: config.leverOAuth,
            vault,
            clock,
            log: log.child({ component: 'lever-oauth' }),
            sleep,
            timeoutMs: config.httpTimeoutMs,
          });
    const pipeline = createPipeline({
      store,
      singletons,
      registry,
      clock,
      sleep,
      log,
      metrics,
      callbackSecret,
      publicUrl: () => callbackBase(config, listeningUrl),
      retrySchedule: config.retrySchedule,
      leverRatePerSecond: config.leverRatePerSecond,
      rateBudgets,
      httpTimeoutMs: config.httpTimeoutMs,
      deliveryRetryForMs: config.replayWindowMs,
      grants,
    });
    closers.push(() => pipeline.stop());
    const isOAuthTenant = (id: string) => registry.get(id)?.snapshot?.settings.lever.auth === 'oauth';
    let connector: LeverConnector | undefined;
    if (config.leverOAuth !== null && vault !== null && grants !== null) {
      connector = createLeverConnector({
        app: config.leverOAuth,
        vault,
        grants,
        clock,
        log: log.child({ component: 'lever-oauth' }),
        lever: (id) => {
          const snapshot = registry.get(id)?.snapshot;
          if (!snapshot) throw new StagegateError('TENANT_UNKNOWN', `No tenant ${id} is loaded.`);
          return pipeline.lever(snapshot);
        },
        publicUrl: () => callbackBase(config, listeningUrl),
        isOAuthTenant,
        degraded: pipeline.degraded,
      });
    }
    await pipeline.executor.recover();
    await pipeline.worker.recover();

    const operatorOfBearer = createOperatorBearerCheck(config.operators);
    const app = createApp({
      onAccepted: pipeline.accepted,
      callbacks: { secret: callbackSecret, onCallback: pipeline.callback },
      admin: createAdminRouter({
        token: config.adminToken ?? undefined,
        operators: config.operators,
        store,
        executor: pipeline.executor,
        registry,
        completeSandbox: pipeline.completeSandbox,
        backfill: createBackfill({
          tenant: (id) => registry.get(id)?.snapshot ?? undefined,
          lever: pipeline.lever,
          store,
          clock,
          accepted: pipeline.accepted,
        }),
        explain: createLiveExplain({
          tenant: (id) => registry.get(id)?.snapshot ?? undefined,
          lever: pipeline.lever,
          store,
          clock,
        }),
        replay: { worker: pipeline.worker, clock },
        degraded: { get: pipeline.degradedShown },
        ...(connector === undefined ? {} : { connector }),
        log,
      }),
      ...(connector === undefined
        ? {}
        : {
            oauth: createOAuthCallbackRouter({ connector, log }),
            storedWebhookTokens: async (id: string) =>
              isOAuthTenant(id) ? await (connector as LeverConnector).webhookTokens(id) : {},
          }),
      console: createConsoleRouter({
        operators: config.operators,
        sessionKey: sessionKeyOf(config.sessionKey, config.operators),
        secureCookies: config.publicUrl?.startsWith('https://') ?? false,
        store,
        registry,
        executor: pipeline.executor,
        readTenantFile: (entry) => files.read(entry.file),
        readPacks: async () => registry.packs(),
        ...(connector === undefined || grants === null || config.leverOAuth === null
          ? {}
          : {
              leverConnect: {
                begin: (tenant: string) => (connector as LeverConnector).begin(tenant),
                state: async (tenant: string) => {
                  const grant = await grants.status(tenant);
                  if (grant === undefined) return { kind: 'not-connected' } as const;
                  const reason = (await pipeline.degradedShown(tenant))?.reason ?? '';
                  return {
                    kind: 'connected',
                    connectedAt: grant.connectedAt,
                    needsReconnecting: reason.startsWith('needs reconnecting') ? reason : null,
                  } as const;
                },
                authorizeUrl: config.leverOAuth.authorizeUrl,
                redirectUri: config.leverOAuth.redirectUri,
              },
            }),
        clock,
        log,
      }),
      registry,
      store,
      clock,
      log,
      metrics,
      replayWindowMs: config.replayWindowMs,
      tenantsLoaded: () => tenantsLoaded,
      degraded: pipeline.degradedShown,
      ...(config.operators.length === 0
        ? {}
        : {
            isAdmin: (authorization: string | undefined) => operatorOfBearer(authorization) !== undefined,
          }),
    });
    const server = createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    closers.push(async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    listeningUrl = url;
    await pipeline.start({
      executorIntervalMs: 1_000,
      pollIntervalMs: config.pollIntervalMs,
      pruneIntervalMs: 60 * 60 * 1000,
    });
    log.info({ url }, `stagegate listening on ${url}`);
    started = true;
    const readiness = await describeReadiness(
      { registry, store, tenantsLoaded: () => tenantsLoaded },
      { detail: true },
    );
    for (const tenant of (readiness.detail ?? []).filter((t) => t.status !== 'ready')) {
      // An invalid tenant is invalid for its first error; what is missing comes after it.
      const reasons =
        tenant.status === 'invalid' && tenant.lastError !== null
          ? [tenant.lastError, ...tenant.missing]
          : tenant.missing;
      const what = reasons.length > 0 ? reasons.join('; ') : (tenant.lastError ?? 'see above');
      log.warn(
        { tenant: tenant.id, missing: tenant.missing },
        `tenant ${tenant.id} is ${tenant.status.replace('-', ' ')}: ${what}`,
      );
    }
    return { url, store, idle: () => pipeline.idle(), pipeline, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

async function main(): Promise<void> {
  // Listening for signals before the start: one that comes while tenants load (a deploy rolling
  // on) stops the service once it is up, instead of killing it halfway through opening its store.
  let server: RunningServer | undefined;
  let requested: NodeJS.Signals | undefined;
  // Under `npm start`, Ctrl-C reaches node twice: from the terminal and forwarded by npm. A repeat
  // within a second is that echo; a later one is a person insisting, and ends the process at once.
  let stopping: number | undefined;
  const shutDown = (running: RunningServer, signal: NodeJS.Signals) => {
    running.close(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stagegate: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping !== undefined) {
      if (Date.now() - stopping < 1_000) return;
      process.stderr.write(`stagegate: ${signal} again: exiting without waiting for the calls in flight\n`);
      process.exit(1);
    }
    stopping = Date.now();
    if (server === undefined) requested = signal;
    else shutDown(server, signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    server = await startServer({ env: process.env, cwd: process.cwd(), stdoutIsTTY: process.stdout.isTTY });
  } catch (error) {
    process.stderr.write(`stagegate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  if (requested !== undefined) shutDown(server, requested);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
