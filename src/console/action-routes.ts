import type { Request, Response, Router } from 'express';
import type { RetryOptions } from '../execute/retry-policy.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import type { ConsoleKit } from './console-kit.js';
import type { TenantPage } from './page-routes.js';

/** Where a form may send the browser back to: a console page, never another site. */
function safeBack(value: unknown, fallback: string): string {
  return typeof value === 'string' && /^\/console(\/[A-Za-z0-9._~%\-/]*)?$/.test(value) ? value : fallback;
}

/**
 * The posts that change something, each behind the CSRF check and logged with the operator: a
 * tenant's Connect (to Lever, OAuth), and an action's retry or resolution (a send in doubt).
 */
export function addActionRoutes(router: Router, kit: ConsoleKit, tenantPage: TenantPage): void {
  const { store, registry, executor } = kit.options;
  const connect = kit.options.leverConnect;
  const { log, form, checkCsrf } = kit;

  // The tenant page's Connect button: the same one-time link as `stagegate connect`, the browser sent on to it.
  router.post('/tenants/:tenant/connect', form, checkCsrf, async (req, res) => {
    const { operator } = kit.sessionOf(res);
    const tenant = String(req.params.tenant);
    if (registry.get(tenant) === undefined)
      throw new StagegateError('NOT_FOUND', `No tenant ${tenant} is loaded.`);
    if (connect === undefined) {
      throw new StagegateError(
        'NOT_FOUND',
        'OAuth is not configured here: the operator sets STAGEGATE_LEVER_CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI and STAGEGATE_SECRET_KEY',
      );
    }
    let started: { link: string; expiresAt: number };
    try {
      started = await connect.begin(tenant);
    } catch (error) {
      const failure = toStagegateError(error);
      if (failure.status >= 500) throw failure;
      log.warn({ operator, tenant, code: failure.code }, failure.message);
      await tenantPage(res, tenant, failure.status, undefined, failure.message);
      return;
    }
    // The link itself is not logged: until it is used or replaced, it starts a grant.
    log.info(
      { operator, tenant, expiresAt: started.expiresAt },
      `operator ${operator} started connecting tenant ${tenant} to Lever in the console`,
    );
    res.redirect(303, started.link);
  });

  const actOn = async (req: Request, res: Response, retryOptions: RetryOptions, done: string) => {
    const { operator } = kit.sessionOf(res);
    const id = String(req.params.id);
    const record = await store.getAction(id);
    if (record === undefined) throw new StagegateError('NOT_FOUND', `No action ${id}.`);
    const back = safeBack(
      (req.body as { back?: unknown }).back,
      `/console/tenants/${encodeURIComponent(record.tenant)}`,
    );
    try {
      const { resumed } = await executor.retry(record.id, retryOptions);
      kit.forgetWeek(record.tenant);
      log.info(
        {
          operator,
          tenant: record.tenant,
          action: record.id,
          resumed: resumed.map((r) => r.id),
          ...retryOptions,
        },
        `operator ${operator} ${done === 'retried' ? 'retried' : 'resolved'} action ${record.id} in the console`,
      );
    } catch (error) {
      const failure = toStagegateError(error);
      if (failure.status >= 500) throw failure;
      log.warn({ operator, action: record.id, code: failure.code }, failure.message);
      await tenantPage(res, record.tenant, failure.status, undefined, failure.message);
      return;
    }
    const separator = back.includes('?') ? '&' : '?';
    res.redirect(303, `${back}${separator}done=${done}&action=${encodeURIComponent(record.id)}`);
  };
  router.post('/actions/:id/retry', form, checkCsrf, async (req, res) => {
    await actOn(req, res, {}, 'retried');
  });
  router.post('/actions/:id/resolve', form, checkCsrf, async (req, res) => {
    const body = req.body as { answer?: unknown; atVendor?: unknown };
    if (body.answer === 'not-at-vendor') return actOn(req, res, { notAtVendor: true }, 'sent-again');
    const atVendor = typeof body.atVendor === 'string' ? body.atVendor.trim() : '';
    if (body.answer !== 'at-vendor' || atVendor === '') {
      throw new StagegateError('BAD_JSON', "give the vendor's invitation id, or say it is not at the vendor");
    }
    return actOn(req, res, { atVendor }, 'recorded');
  });
}
