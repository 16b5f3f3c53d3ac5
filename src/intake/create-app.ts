import express, {
  type ErrorRequestHandler,
  type Express,
  type NextFunction,
  type Request,
  type Response,
  type Router,
} from 'express';
import type { Logger } from 'pino';
import type { TenantRegistry } from '../config/tenant-registry.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError } from '../kernel/errors.js';
import { knownEventTypes } from '../kernel/facts.js';
import type { TenantDegraded } from '../lever/degraded-tenants.js';
import type { InboxItem, InvitationRecord, Store } from '../store/types.js';
import type { IntakeMetrics } from './create-metrics.js';
import { describeReadiness } from './describe-readiness.js';
import { findReadyTenant } from './find-ready-tenant.js';
import { getErrorHandler, toIntakeError } from './get-error-handler.js';
import { parseDeliveryBody } from './parse-delivery-body.js';
import { receiveCallback } from './receive-callback.js';
import { type IntakeContext, receiveDelivery } from './receive-delivery.js';

export const defaultReplayWindowMs = 72 * 60 * 60 * 1000;

export interface CreateAppOptions {
  registry: TenantRegistry;
  store: Store;
  clock: Clock;
  log: Logger;
  metrics: IntakeMetrics;
  replayWindowMs?: number;
  /** False until the first load of every tenant finished; /readyz answers 503 meanwhile. */
  tenantsLoaded?: () => boolean;
  /** Tenants whose Lever key Lever refuses now; shown per tenant in /readyz. */
  degraded?: (tenant: string) => TenantDegraded | null | Promise<TenantDegraded | null>;
  onAccepted?: (item: InboxItem) => void;
  /** Vendor callbacks: the secret their URL tokens are made with, and what to do with a checked one. */
  callbacks?: { secret: string; onCallback(invitation: InvitationRecord): void };
  /** Signature tokens the service registered itself (OAuth tenants), by tenant; see receiveDelivery. */
  storedWebhookTokens?: IntakeContext['storedWebhookTokens'];
  /** Mounted at /oauth/lever (the connect flow's callback, opened by a customer's browser). */
  oauth?: Router;
  /** Mounted at /admin (the admin API). */
  admin?: Router;
  /** Mounted at /console (the operator's web console, src/console). */
  console?: Router;
  /** Whether an Authorization header carries the admin token; /readyz then adds per-tenant detail. */
  isAdmin?: (authorization: string | undefined) => boolean;
}

/** The HTTP adapter: thin routes around receiveDelivery and describeReadiness. */
export function createApp(options: CreateAppOptions): Express {
  const { registry, store, clock, log, metrics } = options;
  const replayWindowMs = options.replayWindowMs ?? defaultReplayWindowMs;
  const tenantsLoaded = options.tenantsLoaded ?? (() => true);
  const app = express();
  app.disable('x-powered-by');

  // Labels come only from loaded tenants and their events: the wire cannot grow them. An OAuth
  // tenant's signature tokens are in the store (the webhooks it registered through Lever's API), not
  // in its file, so its events are the ones stagegate knows; an authenticated delivery's event had a
  // token, so it is one of the tenant's.
  const labels = (tenant: string, event: unknown, authenticated = false) => {
    const snapshot = registry.get(tenant)?.snapshot;
    const tokens = snapshot?.secrets?.webhookTokens;
    if (snapshot === undefined || snapshot === null || tokens === undefined) {
      return { tenant: registry.get(tenant) ? tenant : 'unknown', event: 'unknown' };
    }
    const known =
      typeof event === 'string' &&
      (authenticated ||
        Object.hasOwn(tokens, event) ||
        (snapshot.settings.lever.auth === 'oauth' && (knownEventTypes as readonly string[]).includes(event)));
    return { tenant, event: known ? event : 'unknown' };
  };
  const countFailure: ErrorRequestHandler = (error: unknown, req, _res, next) => {
    const body = req.body as { event?: unknown } | undefined;
    const outcome = toIntakeError(error).code.toLowerCase();
    metrics.deliveries.inc({ ...labels(String(req.params.tenant), body?.event), outcome });
    next(error);
  };

  app.post(
    '/webhooks/lever/:tenant',
    (req: Request<{ tenant: string }>, _res: Response, next: NextFunction) => {
      // Unknown and not-ready tenants are answered before the body is read.
      findReadyTenant(registry, req.params.tenant);
      next();
    },
    ...parseDeliveryBody(),
    async (req: Request<{ tenant: string }>, res: Response) => {
      const tenant = req.params.tenant;
      const context = {
        registry,
        store,
        clock,
        log,
        replayWindowMs,
        ...(options.onAccepted ? { onAccepted: options.onAccepted } : {}),
        ...(options.storedWebhookTokens ? { storedWebhookTokens: options.storedWebhookTokens } : {}),
      };
      const { event, status, body } = await receiveDelivery(context, tenant, req.body);
      metrics.deliveries.inc({ ...labels(tenant, event, true), outcome: body.status });
      res.status(status).json(body);
    },
    countFailure,
  );

  const callbacks = options.callbacks;
  if (callbacks) {
    const onCallback = async (
      req: Request<{ tenant: string; invitation: string; token: string }>,
      res: Response,
    ) => {
      const invitation = await receiveCallback({ store, secret: callbacks.secret }, req.params);
      // Answer at once; the vendor check runs after, and the poller catches it if it fails.
      res.status(202).json({ status: 'checking' });
      callbacks.onCallback(invitation);
    };
    app.patch('/callbacks/assessments/:tenant/:invitation/:token', onCallback);
    app.post('/callbacks/assessments/:tenant/:invitation/:token', onCallback);
  }
  if (options.oauth) app.use('/oauth/lever', options.oauth);
  if (options.admin) app.use('/admin', express.json({ limit: '64kb' }), options.admin);
  if (options.console) app.use('/console', options.console);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'up' });
  });
  app.get('/readyz', async (req, res, next) => {
    // Counts for anyone; which tenants and what ails them only for the operator.
    const authorization = req.get('authorization');
    const detail = authorization !== undefined && (options.isAdmin?.(authorization) ?? false);
    if (authorization !== undefined && !detail) {
      next(new StagegateError('UNAUTHORIZED', 'The readiness detail needs the admin bearer token.'));
      return;
    }
    const readiness = await describeReadiness(
      {
        registry,
        store,
        tenantsLoaded,
        ...(options.degraded === undefined ? {} : { degraded: options.degraded }),
      },
      { detail },
    );
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use((_req, _res, next) => {
    next(new StagegateError('NOT_FOUND', 'No such route.'));
  });
  app.use(getErrorHandler(log));
  return app;
}
