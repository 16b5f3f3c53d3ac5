import express, { type Router } from 'express';
import { StagegateError } from '../kernel/errors.js';
import { isRecord } from '../kernel/json.js';
import type { BackfillReport } from '../run/backfill-stage.js';
import type { Backfill, BackfillRequest } from '../run/create-backfill.js';

const usage =
  'the body must be {"tenant": string, "stage"?: string, "dryRun"?: boolean, "explain"?: boolean}';

function readRequest(body: unknown): BackfillRequest {
  const fields = isRecord(body) ? body : {};
  const { tenant, stage, dryRun, explain } = fields;
  const known = new Set(['tenant', 'stage', 'dryRun', 'explain']);
  const unknown = Object.keys(fields).filter((key) => !known.has(key));
  if (
    typeof tenant !== 'string' ||
    tenant === '' ||
    !(stage === undefined || (typeof stage === 'string' && stage.trim() !== '')) ||
    !(dryRun === undefined || typeof dryRun === 'boolean') ||
    !(explain === undefined || typeof explain === 'boolean') ||
    unknown.length > 0
  ) {
    throw new StagegateError(
      'BAD_JSON',
      unknown.length > 0 ? `${usage}; unknown: ${unknown.join(', ')}` : usage,
    );
  }
  if (explain === true && dryRun !== true) {
    throw new StagegateError('BAD_JSON', 'explain goes with dryRun: a real backfill lets the worker decide');
  }
  return {
    tenant,
    dryRun: dryRun ?? false,
    ...(stage === undefined ? {} : { stage }),
    ...(explain === undefined ? {} : { explain }),
  };
}

/** POST /backfill: queue (or, dry, list) the candidates already sitting in a tenant's trigger stages. */
export function addBackfillRoutes(router: Router, options: { backfill: Backfill | undefined }): void {
  router.post('/backfill', express.json({ limit: '4kb' }), async (req, res) => {
    const { backfill } = options;
    if (backfill === undefined) throw new StagegateError('NOT_FOUND', 'backfill is not available here');
    const report: BackfillReport = await backfill(readRequest(req.body));
    res.json(report);
  });
}
