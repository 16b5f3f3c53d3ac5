import type { Router } from 'express';
import { StagegateError } from '../kernel/errors.js';
import type { LeverConnector } from '../lever/oauth/create-lever-connector.js';

/**
 * POST /tenants/:tenant/connect: a one-time link for the tenant's Super Admin (Lever's consent page);
 * GET /tenants/:tenant/lever-connection: what `stagegate check` reports (no token in it);
 * POST /tenants/:tenant/disconnect: delete the webhooks stagegate registered, forget the tokens.
 */
export function addConnectRoutes(
  router: Router,
  options: { connector: Pick<LeverConnector, 'begin' | 'disconnect' | 'inspect'> | undefined },
): void {
  const connector = () => {
    if (options.connector === undefined) {
      throw new StagegateError(
        'NOT_FOUND',
        'OAuth is not configured here: the operator sets STAGEGATE_LEVER_CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI and STAGEGATE_SECRET_KEY',
      );
    }
    return options.connector;
  };
  router.post('/tenants/:tenant/connect', async (req, res) => {
    const { link, expiresAt } = await connector().begin(req.params.tenant);
    res.json({ tenant: req.params.tenant, link, expiresAt });
  });
  router.get('/tenants/:tenant/lever-connection', async (req, res) => {
    res.json(await connector().inspect(req.params.tenant));
  });
  router.post('/tenants/:tenant/disconnect', async (req, res) => {
    res.json({ tenant: req.params.tenant, ...(await connector().disconnect(req.params.tenant)) });
  });
}
