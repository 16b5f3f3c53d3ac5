import { suggestName } from '../config/suggest-name.js';
import type { TenantSnapshot } from '../config/types.js';
import { decide } from '../decide/decide.js';
import { computeFacts } from '../enrich/compute-facts.js';
import { createLeverCache } from '../enrich/create-lever-cache.js';
import { enrichDelivery } from '../enrich/enrich-delivery.js';
import type { Action } from '../kernel/actions.js';
import { StagegateError } from '../kernel/errors.js';
import type { LeverClient } from '../lever/create-lever-client.js';
import type { Opportunity, Stage } from '../lever/types.js';
import type { DeliveryInput, InboxItem, Store } from '../store/types.js';

/**
 * queued: accepted into the inbox now; duplicate: an earlier backfill already queued it, and the
 * store still has that delivery pending or its decision (kept for the retention period); wouldQueue: a dry run would queue it; archived: left alone, as Lever would
 * send no stage change for it.
 */
export type BackfillOutcome = 'queued' | 'duplicate' | 'wouldQueue' | 'archived';

export interface BackfilledOpportunity {
  id: string;
  name: string;
  outcome: BackfillOutcome;
  /** Dry run with `explain`: what the rules would decide now, or why the event would be skipped. */
  preview?: { actions: Action[]; reasons: string[] } | { skip: string };
}

export interface BackfilledStage {
  stage: string;
  stageId: string;
  opportunities: BackfilledOpportunity[];
}

export interface BackfillReport {
  tenant: string;
  dryRun: boolean;
  stages: BackfilledStage[];
}

export interface BackfillOptions {
  tenant: TenantSnapshot;
  lever: LeverClient;
  store: Pick<Store, 'acceptDelivery' | 'listInvitations' | 'listActions' | 'listDecisions' | 'pendingInbox'>;
  /** One trigger stage by name (any case); all of them when absent. */
  stage?: string;
  dryRun: boolean;
  /** Dry run only: also compute each decision (one Lever read per opportunity), writing nothing. */
  explain?: boolean;
  now: number;
  /** Hands a newly accepted item to the inbox worker, as intake does. */
  accepted(item: InboxItem): void;
}

/** Accepting a page at once lets the store commit it in one write. */
const batchSize = 50;

/**
 * Candidates already sitting in a trigger stage when a tenant is onboarded never get a stage-change
 * webhook: each is accepted into the inbox as a synthetic `candidateStageChange`, so it goes through
 * enrichment and the rules like a live one. The token `backfill:<stageId>:<opportunityId>` makes a
 * second run a no-op while the store remembers the first: its dedupe token for the replay window,
 * its decision after that (the decision id comes from the token, so deciding it again would only
 * collide with the stored one).
 */
export async function backfillStages(options: BackfillOptions): Promise<BackfillReport> {
  const { tenant, lever, dryRun } = options;
  const triggers = tenant.settings.triggers.map((trigger) => trigger.stage);
  const wanted = options.stage === undefined ? triggers : [findTrigger(options.stage, triggers, tenant.id)];
  const stages = await lever.listStages();
  const resolved = wanted.map((name) => ({ name, stage: findStage(name, stages, tenant.id) }));

  const report: BackfillReport = { tenant: tenant.id, dryRun, stages: [] };
  const seen = await seenTokens(options);
  for (const { name, stage } of resolved) {
    const opportunities: BackfilledOpportunity[] = [];
    let batch: Opportunity[] = [];
    const flush = async () => {
      opportunities.push(...(await backfillBatch(options, stage.id, batch, seen)));
      batch = [];
    };
    for await (const opportunity of lever.listOpportunities({ stageId: stage.id })) {
      batch.push(opportunity);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    report.stages.push({ stage: name, stageId: stage.id, opportunities });
  }
  return report;
}

async function backfillBatch(
  options: BackfillOptions,
  stageId: string,
  batch: readonly Opportunity[],
  seen: ReadonlySet<string>,
): Promise<BackfilledOpportunity[]> {
  const { tenant, store, now } = options;
  const input = (opportunity: Opportunity): DeliveryInput => ({
    tenant: tenant.id,
    token: `backfill:${stageId}:${opportunity.id}`,
    event: 'candidateStageChange',
    triggeredAt: now,
    opportunityId: opportunity.id,
    payload: { event: 'candidateStageChange', data: { opportunityId: opportunity.id, toStageId: stageId } },
  });
  const live = batch.filter((opportunity) => opportunity.archived === null);
  const archived = (opportunity: Opportunity): BackfilledOpportunity => ({
    id: opportunity.id,
    name: opportunity.name,
    outcome: 'archived',
  });

  if (options.dryRun) {
    const previews = new Map<string, BackfilledOpportunity['preview']>();
    if (options.explain === true) {
      const cache = createLeverCache();
      for (const opportunity of live) {
        previews.set(opportunity.id, await preview(options, input(opportunity), cache));
      }
    }
    return batch.map((opportunity) => {
      if (opportunity.archived !== null) return archived(opportunity);
      const token = input(opportunity).token;
      const found = previews.get(opportunity.id);
      return {
        id: opportunity.id,
        name: opportunity.name,
        outcome: seen.has(token) ? 'duplicate' : 'wouldQueue',
        ...(found === undefined ? {} : { preview: found }),
      };
    });
  }

  // Decided before: the store may have forgotten the token, not the decision.
  const fresh = live.filter((opportunity) => !seen.has(input(opportunity).token));
  const accepted = await Promise.all(fresh.map((opportunity) => store.acceptDelivery(input(opportunity))));
  const outcomes = new Map<string, BackfillOutcome>(
    live
      .filter((opportunity) => !fresh.includes(opportunity))
      .map((opportunity) => [opportunity.id, 'duplicate']),
  );
  for (const { duplicate, item } of accepted) {
    if (item.opportunityId !== null) outcomes.set(item.opportunityId, duplicate ? 'duplicate' : 'queued');
    if (!duplicate) options.accepted(item);
  }
  return batch.map((opportunity) =>
    opportunity.archived !== null
      ? archived(opportunity)
      : { id: opportunity.id, name: opportunity.name, outcome: outcomes.get(opportunity.id) ?? 'queued' },
  );
}

/** Tokens a real run would find taken: pending deliveries and decided ones (a decision keeps its token). */
async function seenTokens(options: BackfillOptions): Promise<Set<string>> {
  const { store, tenant } = options;
  const pending = (await store.pendingInbox(tenant.id)).map((item) => item.token);
  const decided = (await store.listDecisions({ tenant: tenant.id })).map(
    (record) => (record.decision as { event?: { id?: unknown } } | null)?.event?.id,
  );
  return new Set([...pending, ...decided].filter((token): token is string => typeof token === 'string'));
}

/** The decision the inbox worker would make now, computed from the same steps but written nowhere. */
async function preview(
  options: BackfillOptions,
  input: DeliveryInput,
  cache: ReturnType<typeof createLeverCache>,
): Promise<BackfilledOpportunity['preview']> {
  const { tenant, lever, store, now } = options;
  const item: InboxItem = { ...input, id: `preview:${input.token}`, receivedAt: now, status: 'pending' };
  const enrichment = await enrichDelivery({ item, lever, cache, store, now });
  if ('skip' in enrichment) return { skip: enrichment.skip };
  // The worker would read Lever again for a while first; a preview says what it would then record.
  if ('stale' in enrichment) return { skip: enrichment.stale };
  const facts = computeFacts(tenant, enrichment.input);
  const decision = await decide(tenant, { ...facts.event, opportunityId: item.opportunityId }, facts);
  return { actions: decision.actions, reasons: decision.reasons };
}

function findTrigger(name: string, triggers: readonly string[], tenant: string): string {
  const found = triggers.find((trigger) => trigger.toLowerCase() === name.trim().toLowerCase());
  if (found !== undefined) return found;
  const guess = suggestName(name.trim(), triggers);
  throw new StagegateError(
    'STAGE_UNKNOWN',
    `'${name}' is not a trigger stage of tenant ${tenant}; its trigger stages are: ${triggers.map((t) => `'${t}'`).join(', ')}${guess === undefined ? '' : ` (did you mean '${guess}'?)`}`,
  );
}

function findStage(name: string, stages: readonly Stage[], tenant: string): Stage {
  const found = stages.find((stage) => stage.text.toLowerCase() === name.toLowerCase());
  if (found !== undefined) return found;
  throw new StagegateError(
    'NOT_FOUND',
    `Lever has no stage named '${name}' (a trigger stage of tenant ${tenant}): run stagegate check --tenant ${tenant}`,
  );
}
