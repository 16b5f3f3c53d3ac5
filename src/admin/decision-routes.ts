import type { Router } from 'express';
import { StagegateError } from '../kernel/errors.js';
import type { Store } from '../store/types.js';

/** GET /decisions/:id. */
export function addDecisionRoutes(router: Router, options: { store: Store }): void {
  router.get('/decisions/:id', async (req, res) => {
    const decision = await options.store.getDecision(req.params.id);
    if (decision === undefined) throw new StagegateError('NOT_FOUND', `no decision ${req.params.id}`);
    res.json({ decision });
  });
}
