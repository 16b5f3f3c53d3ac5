import type { Router } from 'express';
import type { Executor } from '../execute/create-executor.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import type { ActionStatus, Store } from '../store/types.js';
import { readQuery } from './read-query.js';

const statuses: readonly ActionStatus[] = ['pending', 'running', 'done', 'failed'];

function readStatus(value: string | undefined): ActionStatus | undefined {
  if (value === undefined) return undefined;
  const status = statuses.find((known) => known === value);
  if (status === undefined) {
    throw new StagegateError('BAD_JSON', `status must be one of ${statuses.join(', ')}; got '${value}'`);
  }
  return status;
}

/** A retry of an action that is not failed is a conflict with its state, not a malformed request. */
const isConflict = (error: StagegateError) => error.code === 'BAD_JSON';

/** GET /actions, POST /actions/retry-failed, POST /actions/:id/retry. */
export function addActionRoutes(
  router: Router,
  options: { store: Store; executor: Pick<Executor, 'retry'> },
): void {
  const { store, executor } = options;

  router.get('/actions', async (req, res) => {
    const tenant = readQuery(req, 'tenant');
    const status = readStatus(readQuery(req, 'status'));
    const actions = await store.listActions({
      ...(tenant === undefined ? {} : { tenant }),
      ...(status === undefined ? {} : { status }),
    });
    res.json({ actions });
  });

  router.post('/actions/retry-failed', async (req, res) => {
    const tenant = readQuery(req, 'tenant');
    const failed = await store.listActions({ status: 'failed', ...(tenant === undefined ? {} : { tenant }) });
    const retried: string[] = [];
    for (const record of failed) {
      try {
        retried.push((await executor.retry(record.id)).id);
      } catch (error) {
        // Pruned or already retried meanwhile: nothing left to retry for this one.
        const failure = toStagegateError(error);
        if (failure.code !== 'NOT_FOUND' && !isConflict(failure)) throw failure;
      }
    }
    res.json({ retried });
  });

  router.post('/actions/:id/retry', async (req, res) => {
    try {
      res.json({ action: await executor.retry(req.params.id) });
    } catch (error) {
      const failure = toStagegateError(error);
      if (!isConflict(failure)) throw failure;
      res.status(409).json({ error: failure.code, message: failure.message });
    }
  });
}
