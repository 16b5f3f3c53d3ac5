import type { TenantSnapshot } from '../config/types.js';
import { decide } from '../decide/decide.js';
import type { Decision } from '../decide/types.js';
import { computeFacts } from '../enrich/compute-facts.js';
import { createLeverCache } from '../enrich/create-lever-cache.js';
import { enrichDelivery } from '../enrich/enrich-delivery.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError } from '../kernel/errors.js';
import type { LeverClient } from '../lever/create-lever-client.js';
import type { InboxItem, Store } from '../store/types.js';

/**
 * The Lever events a live explain can stand for. A vendor's completion needs the vendor's report,
 * and a ping decides nothing: neither is one.
 */
export const liveExplainEvents = [
  'candidateStageChange',
  'candidateArchiveChange',
  'candidateHired',
  'candidateDeleted',
  'applicationCreated',
] as const;
export type LiveExplainEvent = (typeof liveExplainEvents)[number];

export interface LiveExplainRequest {
  tenant: string;
  opportunityId: string;
  /** candidateStageChange (a move into the candidate's current stage) when absent. */
  event?: LiveExplainEvent;
}

/** What the rules would do now, or why the event would be skipped before any rule ran. */
export type LiveExplanation = { tenant: string; opportunityId: string; event: LiveExplainEvent } & (
  | { decision: Decision }
  | { skip: string }
);

export type LiveExplain = (request: LiveExplainRequest) => Promise<LiveExplanation>;

export function isLiveExplainEvent(value: unknown): value is LiveExplainEvent {
  return typeof value === 'string' && (liveExplainEvents as readonly string[]).includes(value);
}

/**
 * `stagegate explain --opportunity`: the inbox worker's steps (enrich from Lever, facts, rules) for
 * an event synthesized now, written nowhere. The store is only read (invitations and sends in the
 * outbox, as the worker reads them; the type of `store` offers nothing else), and Lever is only
 * read (enrichDelivery calls its GETs). No action runs: the decision is only returned.
 */
export function createLiveExplain(options: {
  tenant(id: string): TenantSnapshot | undefined;
  lever(tenant: TenantSnapshot): LeverClient;
  store: Pick<Store, 'listInvitations' | 'listActions'>;
  clock: Clock;
}): LiveExplain {
  return async (request) => {
    const tenant = options.tenant(request.tenant);
    if (tenant === undefined) {
      throw new StagegateError('TENANT_UNKNOWN', `no tenant '${request.tenant}' is loaded`);
    }
    if (!tenant.secrets) {
      throw new StagegateError('TENANT_NOT_READY', `tenant ${tenant.id} is not ready (a secret is missing)`);
    }
    const event = request.event ?? 'candidateStageChange';
    const now = options.clock.now();
    const token = `explain:${now}:${request.opportunityId}`;
    // No toStageId: the move is into whatever stage Lever has the candidate in now.
    const item: InboxItem = {
      id: token,
      tenant: tenant.id,
      token,
      event,
      triggeredAt: now,
      receivedAt: now,
      opportunityId: request.opportunityId,
      payload: { event, data: { opportunityId: request.opportunityId } },
      status: 'pending',
    };
    const base = { tenant: tenant.id, opportunityId: request.opportunityId, event };
    const enrichment = await enrichDelivery({
      item,
      lever: options.lever(tenant),
      cache: createLeverCache(),
      store: options.store,
      now,
    });
    if ('skip' in enrichment) return { ...base, skip: enrichment.skip };
    if ('stale' in enrichment) return { ...base, skip: enrichment.stale };
    const facts = computeFacts(tenant, enrichment.input);
    const decision = await decide(tenant, { ...facts.event, opportunityId: request.opportunityId }, facts);
    return { ...base, decision };
  };
}
