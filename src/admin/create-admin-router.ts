import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { TenantRegistry } from '../config/tenant-registry.js';
import type { Executor } from '../execute/create-executor.js';
import { StagegateError } from '../kernel/errors.js';
import type { LeverConnector } from '../lever/oauth/create-lever-connector.js';
import type { Backfill } from '../run/create-backfill.js';
import type { LiveExplain } from '../run/create-live-explain.js';
import type { Store } from '../store/types.js';
import { addActionRoutes } from './action-routes.js';
import { answerAdminError } from './answer-admin-error.js';
import { authenticateAdmin } from './authenticate-admin.js';
import { addBackfillRoutes } from './backfill-routes.js';
import { addCandidateRoutes } from './candidate-routes.js';
import { addConnectRoutes } from './connect-routes.js';
import { addDecisionRoutes } from './decision-routes.js';
import { addInboxRoutes, type InboxReplay } from './inbox-routes.js';
import { type OperatorToken, singleTokenName } from './operator-tokens.js';
import { addSandboxRoutes, type CompleteSandbox } from './sandbox-routes.js';
import { addStatusRoutes, type ShownDegraded } from './status-routes.js';

export interface AdminRouterOptions {
  /** The admin bearer token (STAGEGATE_ADMIN_TOKEN, named `admin`); without any token the admin API is off. */
  token: string | undefined;
  /** Named operators' tokens (STAGEGATE_ADMIN_TOKENS), accepted beside `token`. */
  operators?: readonly OperatorToken[];
  store: Store;
  executor: Pick<Executor, 'retry'>;
  registry: Pick<TenantRegistry, 'list'>;
  /** Present when a tenant uses the sandbox provider. */
  completeSandbox?: CompleteSandbox;
  /** Queues the candidates already in a tenant's trigger stages (POST /backfill); absent: 404. */
  backfill?: Backfill;
  /** What the rules would do now for a candidate, read from Lever (POST /tenants/:t/explain); absent: 404. */
  explain?: LiveExplain;
  /** Replays skipped deliveries (POST /inbox/.../replay); absent: those routes 404. */
  replay?: InboxReplay;
  /** Tenants whose Lever key Lever refuses now, for GET /status. */
  degraded?: ShownDegraded;
  /** The OAuth connect flow (POST /tenants/:tenant/connect, /disconnect); absent: those 404. */
  connector?: Pick<LeverConnector, 'begin' | 'disconnect' | 'inspect'>;
  log?: Logger;
}

/** Telling a caller the API is off reveals nothing a 404 instead of a 401 does not already say. */
export const adminOffMessage = 'The admin API is off: the service was started without STAGEGATE_ADMIN_TOKEN.';

/**
 * The operator's API, to mount at `/admin`. lowdb lets one process hold the store, so the CLI changes
 * state through here. Off (every route 404) unless a token is configured: never an open door.
 */
export function createAdminRouter(options: AdminRouterOptions): Router {
  const router = express.Router();
  const notFound = () => new StagegateError('NOT_FOUND', 'No such route.');
  const operators = [
    ...(options.token === undefined || options.token === ''
      ? []
      : [{ name: singleTokenName, token: options.token }]),
    ...(options.operators ?? []).filter((operator) => operator.token !== options.token),
  ];
  if (operators.length === 0) {
    router.use((_req, res) => {
      res.status(404).json({ error: notFound().code, message: adminOffMessage });
    });
    return router;
  }
  router.use(authenticateAdmin(operators));
  addActionRoutes(router, options);
  addDecisionRoutes(router, options);
  addCandidateRoutes(router, options);
  addStatusRoutes(router, options);
  addInboxRoutes(router, options);
  addSandboxRoutes(router, { completeSandbox: options.completeSandbox });
  addBackfillRoutes(router, { backfill: options.backfill });
  addConnectRoutes(router, { connector: options.connector });
  router.use((_req, _res, next) => {
    next(notFound());
  });
  router.use(answerAdminError(options.log));
  return router;
}
