import express, { type Router } from 'express';
import { StagegateError } from '../kernel/errors.js';
import { isRecord } from '../kernel/json.js';
import {
  isLiveExplainEvent,
  type LiveExplain,
  type LiveExplainRequest,
  liveExplainEvents,
} from '../run/create-live-explain.js';
import type { Store } from '../store/types.js';
import { buildCandidateTimeline, type CandidateTimeline } from './candidate-timeline.js';
import { readQuery } from './read-query.js';

/** What GET /tenants/:tenant/candidates?email= answers: the timeline too when exactly one matches. */
export interface CandidateSearch {
  tenant: string;
  opportunityIds: string[];
  timeline?: CandidateTimeline;
}

const explainUsage = `the body must be {"opportunityId": string, "event"?: one of ${liveExplainEvents.join(', ')}}`;

function readExplainRequest(tenant: string, body: unknown): LiveExplainRequest {
  const fields = isRecord(body) ? body : {};
  const { opportunityId, event } = fields;
  const unknown = Object.keys(fields).filter((key) => key !== 'opportunityId' && key !== 'event');
  if (typeof opportunityId !== 'string' || opportunityId.trim() === '' || unknown.length > 0) {
    throw new StagegateError(
      'BAD_JSON',
      unknown.length > 0 ? `${explainUsage}; unknown: ${unknown.join(', ')}` : explainUsage,
    );
  }
  if (event !== undefined && !isLiveExplainEvent(event)) {
    throw new StagegateError(
      'BAD_JSON',
      `unknown event type ${JSON.stringify(event)}: a live explain takes one of ${liveExplainEvents.join(', ')}`,
    );
  }
  return { tenant, opportunityId, ...(event === undefined ? {} : { event }) };
}

/**
 * GET /tenants/:tenant/candidates/:opportunityId (the timeline), GET /tenants/:tenant/candidates?email=
 * (the opportunities of an e-mail), POST /tenants/:tenant/explain (what the rules would do now).
 */
export function addCandidateRoutes(
  router: Router,
  options: { store: Store; explain?: LiveExplain | undefined },
): void {
  const { store } = options;
  const timelineOf = async (tenant: string, opportunityId: string) => {
    const records = await store.findCandidate(tenant, opportunityId);
    return records === undefined ? undefined : buildCandidateTimeline(tenant, opportunityId, records);
  };

  router.get('/tenants/:tenant/candidates/:opportunityId', async (req, res) => {
    const { tenant, opportunityId } = req.params;
    const timeline = await timelineOf(tenant, opportunityId);
    if (timeline === undefined) {
      const tombstone = await store.getTombstone(tenant, opportunityId);
      throw new StagegateError(
        'NOT_FOUND',
        tombstone === undefined
          ? `tenant ${tenant} has no record of opportunity ${opportunityId}`
          : `opportunity ${opportunityId} of tenant ${tenant} was purged at ${new Date(tombstone.purgedAt).toISOString()}: nothing about the candidate is kept`,
      );
    }
    res.json(timeline);
  });

  router.get('/tenants/:tenant/candidates', async (req, res) => {
    const { tenant } = req.params;
    const email = readQuery(req, 'email');
    if (email === undefined)
      throw new StagegateError('BAD_JSON', 'give ?email= (or the opportunity id in the path)');
    const opportunityIds = await store.findOpportunitiesByEmail(tenant, email);
    const only = opportunityIds.length === 1 ? opportunityIds[0] : undefined;
    const timeline = only === undefined ? undefined : await timelineOf(tenant, only);
    const answer: CandidateSearch = {
      tenant,
      opportunityIds,
      ...(timeline === undefined ? {} : { timeline }),
    };
    res.json(answer);
  });

  router.post('/tenants/:tenant/explain', express.json({ limit: '1kb' }), async (req, res) => {
    const { explain } = options;
    if (explain === undefined) throw new StagegateError('NOT_FOUND', 'live explain is not available here');
    res.json(await explain(readExplainRequest(req.params.tenant, req.body)));
  });
}
