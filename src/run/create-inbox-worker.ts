import type { Logger } from 'pino';
import type { TenantSnapshot } from '../config/types.js';
import { decide } from '../decide/decide.js';
import type { Decision } from '../decide/types.js';
import { computeFacts } from '../enrich/compute-facts.js';
import type { LeverCache } from '../enrich/create-lever-cache.js';
import { enrichDelivery } from '../enrich/enrich-delivery.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import { leverFactNames } from '../kernel/facts.js';
import { classifyFailure } from '../kernel/failure-class.js';
import type { LeverClient } from '../lever/create-lever-client.js';
import { credentialRefusal } from '../lever/degraded-tenants.js';
import { inboxKeyOf } from '../store/claims.js';
import type { ActionRecord, InboxItem, Store } from '../store/types.js';

export interface InboxWorker {
  /** Hands an accepted delivery to the worker; it runs after earlier events of the same opportunity. */
  enqueue(item: InboxItem): void;
  /** Queues every pending inbox item this instance may decide (after a restart). */
  recover(): Promise<void>;
  /**
   * Looks for pending deliveries no one is deciding (accepted by an instance that died, or by one
   * that found their opportunity claimed by another) and queues them; on PostgreSQL it also renews
   * this instance's claims. The pipeline calls it every second.
   */
  sweep(): Promise<void>;
  /** Resolves once nothing is queued or running. */
  idle(): Promise<void>;
  /** How many deliveries are queued or running. */
  depth(): number;
  /**
   * Ends the waits of the tenant's deliveries that are retrying (a new version of the tenant loaded,
   * perhaps with a new Lever key): they try again now instead of at the end of their backoff.
   */
  retryNow(tenant: string): void;
  /** Stops taking up work; what is not decided stays pending in the inbox for the next start. */
  stop(): Promise<void>;
}

export interface InboxWorkerOptions {
  store: Store;
  /** The serving version of a tenant, or undefined when it has none (retired or never valid). */
  tenant(id: string): TenantSnapshot | undefined;
  lever(tenant: TenantSnapshot): LeverClient;
  cache: LeverCache;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  log: Logger;
  /**
   * How long after its arrival (or replay) a delivery that keeps failing on a passing problem (Lever
   * 429, 5xx or unreachable, or refusing the tenant's key) is still retried; then it is recorded as
   * skipped with the last error. The replay window (72 h by default): Lever outages of hours must
   * not drop webhooks.
   */
  retryForMs?: number;
  /** The first wait between tries; it doubles up to retryMaxMs. */
  retryBaseMs?: number;
  /** The longest wait between tries (15 min by default), so a delivery goes soon after Lever is back. */
  retryMaxMs?: number;
  /**
   * How long after its arrival a delivery whose payload disagrees with Lever (stage, archived) is
   * read again, with backoff from 1 s, before it is skipped: Lever's reads may lag its webhooks.
   */
  staleForMs?: number;
  onDecision?(decision: Decision, elapsedMs: number): void;
  onOutcome?(item: InboxItem, outcome: 'decided' | 'skipped' | 'retry'): void;
}

/** How many opportunities a sweep (or the recovery at start) hands out at most. */
const sweepLimit = 1_000;

/**
 * inbox -> enrich -> decide -> outbox. Deliveries of one opportunity are processed one at a time in
 * arrival order (a failing one is retried in place, holding the later ones); different
 * opportunities run in parallel. The next delivery of an opportunity is always its oldest pending
 * one, taken from the store with a claim (Store.claimInbox): on PostgreSQL, while one instance
 * decides an opportunity's deliveries, the others are handed none of them, whichever instance
 * accepted them; they are decided there, in order, or by whoever claims the opportunity next. The
 * decision and its actions are written in the same commit that marks the delivery done.
 *
 * A passing failure (Lever rate limiting, down or unreachable; Lever refusing the tenant's key, which
 * degrades the tenant; a missing secret; the store) is retried with capped backoff until `retryForMs`
 * after the delivery arrived, counted from its durable `receivedAt` (or `replayedAt`, after an
 * operator's replay), so a restart neither loses the retry (the item stays pending and recover()
 * queues it) nor extends the deadline. Any other failure is recorded as skipped at once, with its
 * reason. A payload that disagrees with Lever is read again until `staleForMs`, then skipped.
 */
export function createInboxWorker(options: InboxWorkerOptions): InboxWorker {
  const { store, clock, sleep, log } = options;
  const retryForMs = options.retryForMs ?? 72 * 60 * 60 * 1000;
  const baseMs = options.retryBaseMs ?? 1_000;
  const maxMs = options.retryMaxMs ?? 15 * 60 * 1000;
  const staleForMs = options.staleForMs ?? 60 * 1000;
  const chains = new Map<string, Promise<void>>();
  const waiting = new Map<string, Set<() => void>>();
  const queued = new Set<string>();
  let stopped = false;
  let wake: () => void = () => {};
  const stopping = new Promise<void>((resolve) => {
    wake = resolve;
  });

  /** Decided, skipped, or (payload and Lever disagree) the reason to read Lever again. */
  const processOnce = async (item: InboxItem): Promise<'decided' | 'skipped' | { stale: string }> => {
    const snapshot = options.tenant(item.tenant);
    if (!snapshot) {
      await store.completeInbox(item.id, {
        skipped: `tenant ${item.tenant} has no valid configuration any more`,
      });
      return 'skipped';
    }
    if (!snapshot.secrets) {
      throw new StagegateError(
        'TENANT_NOT_READY',
        `tenant ${item.tenant} is not ready (a secret is missing)`,
      );
    }
    const started = clock.now();
    const enrichment = await enrichDelivery({
      item,
      lever: options.lever(snapshot),
      cache: options.cache,
      store,
      now: started,
      // A completion reads the candidate from Lever only if a rule needs a fact about them.
      deferLever: true,
    });
    if ('skip' in enrichment) {
      await store.completeInbox(item.id, { skipped: enrichment.skip });
      return 'skipped';
    }
    if ('stale' in enrichment) return enrichment;
    const facts = computeFacts(snapshot, enrichment.input);
    const { more } = enrichment;
    const decision = await decide(
      snapshot,
      { ...facts.event, opportunityId: item.opportunityId },
      facts,
      more === undefined
        ? undefined
        : { names: leverFactNames, load: async () => computeFacts(snapshot, await more()) },
    );
    const now = clock.now();
    // The same event decided before, through another inbox item (a backfill run again once the
    // dedupe window had passed, a replay of an old skip): its decision stands, this one is a repeat.
    const earlier = await store.getDecision(decision.id);
    if (earlier !== undefined && earlier.inboxId !== item.id) {
      await store.completeInbox(item.id, {
        skipped: `the same event was decided already: decision ${decision.id} (inbox item ${earlier.inboxId ?? '?'})`,
      });
      return 'skipped';
    }
    const actions: ActionRecord[] = decision.actions.map((action, index) => ({
      id: `${decision.id}:${index}`,
      tenant: item.tenant,
      opportunityId: item.opportunityId,
      decisionId: decision.id,
      index,
      action,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    }));
    await store.completeInbox(item.id, {
      decision: {
        id: decision.id,
        tenant: item.tenant,
        opportunityId: item.opportunityId,
        inboxId: item.id,
        createdAt: now,
        decision,
        // Indexed for the candidate timeline's lookup by e-mail; removed by a purge.
        ...(facts.candidate.email === null ? {} : { email: facts.candidate.email }),
      },
      actions,
    });
    options.onDecision?.(decision, now - started);
    return 'decided';
  };

  const process = async (item: InboxItem) => {
    const itemLog = log.child({
      tenant: item.tenant,
      event: item.event,
      token: item.token,
      opportunityId: item.opportunityId,
    });
    // Retry windows count from the replay when an operator replayed the item: a fresh deadline.
    const since = item.replayedAt ?? item.receivedAt;
    let staleReads = 0;
    for (let attempt = 1; !stopped; ) {
      let delay: number;
      try {
        const outcome = await processOnce(item);
        if (typeof outcome === 'string') {
          itemLog.info({ outcome }, outcome === 'decided' ? 'delivery decided' : 'delivery skipped');
          options.onOutcome?.(item, outcome);
          return;
        }
        const leftMs = since + staleForMs - clock.now();
        if (leftMs <= 0) {
          await store.completeInbox(item.id, { skipped: outcome.stale });
          itemLog.info({ outcome: 'skipped', staleReads }, 'delivery skipped');
          options.onOutcome?.(item, 'skipped');
          return;
        }
        staleReads += 1;
        delay = Math.min(leftMs, 1_000 * 2 ** Math.min(staleReads - 1, 30));
        itemLog.info(
          { reason: outcome.stale, staleReads, retryInMs: delay },
          'delivery disagrees with Lever: reading again',
        );
      } catch (error) {
        const failure = toStagegateError(error);
        const waitedMs = clock.now() - since;
        const refusal = credentialRefusal(failure);
        let giveUp: string | undefined;
        if (refusal === undefined && classifyFailure(failure, { idempotent: true }) !== 'retry-safe')
          giveUp = failure.message;
        else if (waitedMs >= retryForMs) {
          giveUp = `gave up after ${attempt} attempts over ${formatHours(waitedMs)}: ${refusal ?? failure.message}`;
        }
        if (giveUp !== undefined) {
          itemLog.error({ err: failure, attempt }, 'delivery failed for good: recorded as skipped');
          await store
            .completeInbox(item.id, { skipped: giveUp })
            .catch((storeError: unknown) =>
              itemLog.error({ err: storeError }, 'could not record the failure'),
            );
          options.onOutcome?.(item, 'skipped');
          return;
        }
        // Lever's Retry-After, when it asked for longer than its client would wait, is honoured here.
        const retryAfterMs = failure.details.retryAfterMs;
        delay = Math.max(
          Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30)),
          typeof retryAfterMs === 'number' ? retryAfterMs : 0,
        );
        itemLog.warn(
          { err: failure, attempt, retryInMs: delay, ...(refusal === undefined ? {} : { degraded: true }) },
          'delivery failed: will retry',
        );
        options.onOutcome?.(item, 'retry');
        attempt += 1;
      }
      await waitOrWake(item.tenant, delay);
    }
  };

  /** Sleeps, unless the worker stops or retryNow(tenant) ends the wait first. */
  const waitOrWake = async (tenant: string, ms: number) => {
    let wakeUp: () => void = () => {};
    const woken = new Promise<void>((resolve) => {
      wakeUp = resolve;
    });
    const waiters = waiting.get(tenant) ?? new Set<() => void>();
    waiting.set(tenant, waiters);
    waiters.add(wakeUp);
    try {
      await Promise.race([sleep(ms), stopping, woken]);
    } finally {
      waiters.delete(wakeUp);
      if (waiters.size === 0) waiting.delete(tenant);
    }
  };

  /**
   * Decides the opportunity's pending deliveries, oldest first, while the store hands them to this
   * instance; stops when none is left, when another instance holds the opportunity, or when the
   * same one comes back undecided (the store failed to record it: a later sweep tries again).
   */
  const drain = async (like: InboxItem) => {
    let last: string | undefined;
    while (!stopped) {
      const [next] = await store.claimInbox(1, like);
      if (next === undefined || next.id === last) return;
      last = next.id;
      await process(next);
    }
  };

  const enqueue = (item: InboxItem) => {
    if (stopped || queued.has(item.id)) return;
    queued.add(item.id);
    const key = inboxKeyOf(item);
    const previous = chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => drain(item))
      .catch((error: unknown) =>
        log.error(
          { err: error, tenant: item.tenant, opportunityId: item.opportunityId },
          'inbox worker error',
        ),
      )
      .finally(() => queued.delete(item.id));
    chains.set(key, next);
    void next.finally(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  };

  const sweep = async () => {
    if (stopped) return;
    for (const item of await store.claimInbox(sweepLimit)) {
      if (!chains.has(inboxKeyOf(item))) enqueue(item);
    }
  };

  return {
    enqueue,
    async recover() {
      // As for the executor's recovery: a refused change (a deadlock on PostgreSQL) is tried again.
      for (let attempt = 1; ; attempt++) {
        try {
          return await sweep();
        } catch (error) {
          if (attempt >= 3) throw error;
          log.warn({ err: error, attempt }, 'could not look for pending deliveries: trying again');
        }
      }
    },
    sweep,
    async idle() {
      while (chains.size > 0) await Promise.allSettled([...chains.values()]);
    },
    depth: () => queued.size,
    retryNow(tenant) {
      for (const wakeUp of waiting.get(tenant) ?? []) wakeUp();
    },
    async stop() {
      stopped = true;
      wake();
      await Promise.allSettled([...chains.values()]);
    },
  };
}

function formatHours(ms: number): string {
  return `${Math.round((ms / 3_600_000) * 10) / 10} h`;
}
