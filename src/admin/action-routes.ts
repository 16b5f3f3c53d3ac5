import express, { type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { Executor } from '../execute/create-executor.js';
import type { RetryOptions } from '../execute/retry-policy.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import { type FailureClass, failureClasses, readFailureClass } from '../kernel/failure-class.js';
import type { ActionStatus, Store } from '../store/types.js';
import { readQuery } from './read-query.js';
import { type InDoubtOutcome, retryInDoubt } from './retry-in-doubt.js';

const statuses: readonly ActionStatus[] = ['pending', 'running', 'done', 'failed'];

function readClass(value: string | undefined): FailureClass | undefined {
  if (value === undefined) return undefined;
  const failureClass = readFailureClass(value);
  if (failureClass === undefined) {
    throw new StagegateError(
      'BAD_JSON',
      `failureClass must be one of ${failureClasses.join(', ')}; got '${value}'`,
    );
  }
  return failureClass;
}

function readStatus(value: string | undefined): ActionStatus | undefined {
  if (value === undefined) return undefined;
  const status = statuses.find((known) => known === value);
  if (status === undefined) {
    throw new StagegateError('BAD_JSON', `status must be one of ${statuses.join(', ')}; got '${value}'`);
  }
  return status;
}

/**
 * The body of POST /actions/:id/retry: none, `{"notAtVendor": true}`, or `{"atVendor": "<id>"}` with
 * the id the vendor gave the invitation. Both at once get to retryAction, which refuses them.
 */
function readRetryOptions(body: unknown): RetryOptions {
  if (body === undefined) return {};
  const usage = 'the body must be empty or {"notAtVendor"?: boolean, "atVendor"?: "<vendor invitation id>"}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new StagegateError('BAD_JSON', usage);
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => key !== 'notAtVendor' && key !== 'atVendor');
  if (unknown.length > 0) throw new StagegateError('BAD_JSON', `${usage}; unknown: ${unknown.join(', ')}`);
  const { notAtVendor, atVendor } = fields;
  const atVendorId = typeof atVendor === 'string' ? atVendor.trim() : undefined;
  if (
    !(notAtVendor === undefined || typeof notAtVendor === 'boolean') ||
    !(atVendor === undefined || (atVendorId !== undefined && atVendorId !== ''))
  ) {
    throw new StagegateError('BAD_JSON', usage);
  }
  return {
    ...(typeof notAtVendor === 'boolean' ? { notAtVendor } : {}),
    ...(atVendorId === undefined ? {} : { atVendor: atVendorId }),
  };
}

/**
 * GET /actions (`?tenant`, `?status`, `?failureClass`: `?status=failed&failureClass=in-doubt` are
 * the sends an operator must check at the vendor), POST /actions/retry-failed,
 * POST /actions/retry-in-doubt, POST /actions/:id/retry.
 */
export function addActionRoutes(
  router: Router,
  options: { store: Store; executor: Pick<Executor, 'retry'>; log?: Logger | undefined },
): void {
  const { store, executor } = options;
  // Who changed what: the operator's name (src/admin/operator-tokens.ts) with each retry.
  const logRetried = (res: Response, fields: Record<string, unknown>, message: string) =>
    options.log?.info({ component: 'admin', operator: res.locals.operator, ...fields }, message);

  router.get('/actions', async (req, res) => {
    const tenant = readQuery(req, 'tenant');
    const status = readStatus(readQuery(req, 'status'));
    const failureClass = readClass(readQuery(req, 'failureClass'));
    const actions = await store.listActions({
      ...(tenant === undefined ? {} : { tenant }),
      ...(status === undefined ? {} : { status }),
    });
    res.json({
      actions: failureClass === undefined ? actions : actions.filter((a) => a.failureClass === failureClass),
    });
  });

  /**
   * Each failed action, oldest first, with the rest of its decision. A send that may be at the
   * vendor is skipped and listed with what to do: it needs an operator's check, one at a time.
   */
  router.post('/actions/retry-failed', async (req, res) => {
    const tenant = readQuery(req, 'tenant');
    const failed = (
      await store.listActions({ status: 'failed', ...(tenant === undefined ? {} : { tenant }) })
    ).sort((a, b) => a.createdAt - b.createdAt || a.index - b.index);
    const retried: string[] = [];
    const skipped: { id: string; message: string }[] = [];
    for (const record of failed) {
      try {
        const { action, resumed } = await executor.retry(record.id);
        retried.push(action.id, ...resumed.map((later) => later.id));
      } catch (error) {
        const failure = toStagegateError(error);
        if (failure.code === 'CONFLICT' && failure.details.reason === 'in-doubt') {
          skipped.push({ id: record.id, message: failure.message });
          continue;
        }
        // Pruned, retried meanwhile, or resumed (or held back) with an earlier action of its decision.
        if (failure.code !== 'NOT_FOUND' && failure.code !== 'CONFLICT') throw failure;
      }
    }
    logRetried(res, { tenant, retried, skipped: skipped.length }, 'operator retried failed actions');
    res.json({ retried, ...(skipped.length > 0 ? { skipped } : {}) });
  });

  router.post('/actions/retry-in-doubt', express.json({ limit: '1kb' }), async (req, res) => {
    const tenant = readQuery(req, 'tenant');
    const actions: InDoubtOutcome[] = await retryInDoubt({ store, executor }, tenant, req.body);
    const retried = actions.filter((a) => a.outcome === 'retried').map((a) => a.id);
    if (retried.length > 0)
      logRetried(res, { tenant, retried }, 'operator resolved in-doubt sends: not at the vendor');
    res.json({ actions });
  });

  router.post('/actions/:id/retry', express.json({ limit: '1kb' }), async (req, res) => {
    const retryOptions = readRetryOptions(req.body);
    const retried = await executor.retry(req.params.id, retryOptions);
    logRetried(
      res,
      { tenant: retried.action.tenant, action: req.params.id, ...retryOptions },
      'operator retried an action',
    );
    res.json(retried);
  });
}
