import type { Logger } from 'pino';
import type { TenantSnapshot } from '../config/types.js';
import type { Decision } from '../decide/types.js';
import type { Action } from '../kernel/actions.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import { classifyFailure } from '../kernel/failure-class.js';
import type { LeverClient } from '../lever/create-lever-client.js';
import { credentialRefusal } from '../lever/degraded-tenants.js';
import type { AssessmentProvider } from '../providers/types.js';
import type { ActionRecord, Store } from '../store/types.js';
import { type ActionContext, runAction } from './actions/run-action.js';
import { reportFailure } from './report-failure.js';
import {
  defaultRetrySchedule,
  nextRetryDelay,
  type RetriedAction,
  type RetryOptions,
  retryAction,
} from './retry-policy.js';

export type ActionOutcome = 'done' | 'retry' | 'failed';

/** How long an action waits while Lever refuses its tenant's key, between tries (±20 %). */
const degradedWaitMs = 5 * 60_000;

export interface Executor {
  /**
   * Starts what is due now: each opportunity's actions in order, opportunities in parallel, and
   * an opportunity already running elsewhere is left to that run. Resolves, once the runs it
   * started are over, to how many actions they ran. Ticks may overlap: a slow opportunity holds
   * back only its own actions, not the next tick's.
   */
  tick(): Promise<number>;
  /** Resolves once no tick is running, and so no action either. */
  settled(): Promise<void>;
  /**
   * Puts actions a crash left `running` back to pending (at start): every one on an embedded store,
   * on PostgreSQL those whose instance's claim ran out (Store.recoverActions).
   */
  recover(): Promise<void>;
  /**
   * A failed (dead-lettered) action goes back to pending, due now, with its attempts reset, and the
   * later actions of its decision (dropped when it failed) with it. A send that may be at the vendor
   * is refused (CONFLICT) unless an operator checked: `notAtVendor` sends it, `atVendor` records the
   * vendor's id (once the tenant's vendor confirms it) and marks it done. See retryAction.
   */
  retry(actionId: string, options?: RetryOptions): Promise<RetriedAction>;
  /**
   * Ends the wait of the tenant's actions that Lever refused the key for (a new version of the
   * tenant loaded, perhaps with a new key): they are due now, and a tick starts them.
   */
  retryNow(tenant: string): Promise<void>;
}

export interface ExecutorOptions {
  store: Store;
  tenant(id: string): TenantSnapshot | undefined;
  lever(tenant: TenantSnapshot): LeverClient;
  provider(tenant: TenantSnapshot): AssessmentProvider;
  callbackUrl(tenant: string, invitationId: string): string;
  clock: Clock;
  log: Logger;
  /** Waits before each retry; its length is the number of retries. */
  schedule?: readonly number[];
  random?: () => number;
  batch?: number;
  onOutcome?(record: ActionRecord, outcome: ActionOutcome): void;
}

/**
 * outbox -> the world. Every action has an idempotency key (decision id + index) and runs until it
 * is done; a completed action is never run again. A retry-safe failure (src/kernel/failure-class.ts)
 * waits its turn in the retry schedule and holds the opportunity's later actions; a final or
 * in-doubt one (or retries run out) is dead-lettered with its class, the rest of its decision is
 * dropped, and the failure is shown on the candidate. The executor never repeats what may have
 * happened: an in-doubt failure is retried only when the handler says its next try looks first.
 */
export function createExecutor(options: ExecutorOptions): Executor {
  const { store, clock, log } = options;
  const schedule = options.schedule ?? defaultRetrySchedule;
  const random = options.random ?? Math.random;
  /** The opportunities whose actions are running now, by tenant and opportunity. */
  const inFlight = new Set<string>();
  const ticks = new Set<Promise<number>>();
  /**
   * The actions this process set `running`, by id, with their opportunity's key and the attempt it
   * wrote, until their outcome is written. One whose run ended without it (the database went away
   * mid-action) is stranded: the store says `running`, and nothing in this process would take it up
   * again.
   */
  const started = new Map<string, { key: string; attempts: number }>();
  /** Per tenant, the actions waiting because Lever refused its key (in memory: a restart waits them out). */
  const waitingOnKey = new Map<string, Set<string>>();
  const waitsOnKey = (record: ActionRecord, waiting: boolean) => {
    const ids = waitingOnKey.get(record.tenant) ?? new Set<string>();
    if (waiting) ids.add(record.id);
    else ids.delete(record.id);
    if (ids.size > 0) waitingOnKey.set(record.tenant, ids);
    else waitingOnKey.delete(record.tenant);
  };

  const finish = async (
    record: ActionRecord,
    outcome: ActionOutcome,
    patch: Parameters<Store['updateAction']>[1],
  ) => {
    const updated = await store.updateAction(record.id, patch);
    started.delete(record.id);
    waitsOnKey(record, false);
    options.onOutcome?.(updated, outcome);
    return updated;
  };

  /** Runs one action; resolves true when the opportunity's next action may run. */
  const execute = async (record: ActionRecord): Promise<boolean> => {
    const now = clock.now();
    const action = record.action as Action;
    const actionLog = log.child({
      tenant: record.tenant,
      opportunityId: record.opportunityId,
      action: record.id,
      type: action.type,
    });
    const tenant = options.tenant(record.tenant);
    if (!tenant?.secrets) {
      actionLog.warn('tenant not ready: the action waits');
      await store.updateAction(record.id, { nextAttemptAt: now + 60_000 });
      return false;
    }
    const decision = (await store.getDecision(record.decisionId))?.decision as Decision | undefined;
    if (!decision?.facts) {
      await finish(record, 'failed', {
        status: 'failed',
        lastError: 'its decision is gone (purged or pruned)',
        failureClass: 'final',
      });
      return true;
    }
    const attempts = record.attempts + 1;
    await store.updateAction(record.id, { status: 'running', attempts });
    started.set(record.id, { key: opportunityKey(record), attempts });
    const context: ActionContext = {
      tenant,
      record,
      decision,
      lever: options.lever(tenant),
      provider: options.provider(tenant),
      store,
      now,
      log: actionLog,
      callbackUrl: (invitationId) => options.callbackUrl(tenant.id, invitationId),
    };
    try {
      const result = await runAction(action, context);
      await finish(record, 'done', { status: 'done', result: result ?? null });
      actionLog.info({ attempts }, 'action done');
      return true;
    } catch (error) {
      const failure = toStagegateError(error);
      // Lever refused the tenant's key (revoked or rotated): the tenant is degraded, not this
      // action wrong. It waits, without spending an attempt, until the key works again; it is
      // never dead-lettered nor shown on the candidate for it (that would need the key too).
      const refusal = credentialRefusal(failure);
      if (refusal !== undefined) {
        const waitMs = Math.round(degradedWaitMs * (0.8 + 0.4 * random()));
        actionLog.warn(
          { err: failure, attempts, degraded: true, retryInMs: waitMs },
          'action waits: Lever refuses the tenant key',
        );
        await finish(record, 'retry', {
          status: 'pending',
          attempts: record.attempts,
          nextAttemptAt: clock.now() + waitMs,
          lastError: refusal,
          failureClass: 'retry-safe',
        });
        waitsOnKey(record, true);
        return false;
      }
      const failureClass = classifyFailure(failure, { idempotent: false });
      const delay = failureClass === 'retry-safe' ? nextRetryDelay(schedule, attempts, random) : undefined;
      if (delay !== undefined) {
        actionLog.warn(
          { err: failure, attempts, failureClass, retryInMs: delay },
          'action failed: will retry',
        );
        await finish(record, 'retry', {
          status: 'pending',
          nextAttemptAt: clock.now() + delay,
          lastError: failure.message,
          failureClass,
        });
        return false;
      }
      actionLog.error({ err: failure, attempts, failureClass }, 'action failed for good');
      // Shown on the candidate first, then recorded: a crash in between shows it again (the note
      // once, found by its reference), never not at all. The rest of the decision is dropped by runOpportunity, which
      // derives it from this record, so that survives a crash too.
      const shown = await reportFailure(action, failure, failureClass, context);
      await finish(record, 'failed', {
        status: 'failed',
        lastError: failure.message,
        failureClass,
        // What the rules answered to actionFailed, and so what the candidate shows of it.
        ...(shown === undefined
          ? {}
          : {
              result: {
                failureShown: {
                  decision: shown.id,
                  fired: shown.fired.map((rule) => rule.name),
                  actions: shown.actions,
                },
              },
            }),
      });
      return true;
    }
  };

  const runOpportunity = async (
    tenant: string,
    opportunityId: string | null,
    decisionId: string,
  ): Promise<number> => {
    const now = clock.now();
    let ran = 0;
    const actions = (await store.listActions({ tenant, ...(opportunityId ? { opportunityId } : {}) }))
      .filter((record) => opportunityId !== null || record.decisionId === decisionId)
      .filter((record) => record.status !== 'done')
      .sort((a, b) => a.createdAt - b.createdAt || a.index - b.index);
    const failedDecisions = new Map<string, number>();
    for (const record of actions) {
      const current = await store.getAction(record.id);
      if (!current || current.status === 'done') continue;
      if (current.status === 'failed') {
        failedDecisions.set(
          current.decisionId,
          Math.min(current.index, failedDecisions.get(current.decisionId) ?? Infinity),
        );
        continue;
      }
      // An action still running holds back everything after it (in this process, or left by a crash
      // until it is recovered: at start, or on PostgreSQL once its instance's claim runs out).
      if (current.status === 'running') return ran;
      const failedAt = failedDecisions.get(current.decisionId);
      if (failedAt !== undefined && failedAt < current.index) {
        await finish(current, 'failed', {
          status: 'failed',
          lastError: `not run: action ${failedAt} of this decision failed`,
          failureClass: 'final',
        });
        continue;
      }
      if (current.nextAttemptAt > now) return ran;
      ran++;
      if (!(await execute(current))) return ran;
      const after = await store.getAction(current.id);
      if (after?.status === 'failed') failedDecisions.set(current.decisionId, current.index);
    }
    return ran;
  };

  /**
   * Stranded actions go back to pending, as recover() does after a crash, once the store answers
   * again, so that the rest of their opportunity runs. Run again, a send among them finds its
   * invitation `sending` and fails in doubt, and a note is found by its reference: nothing is done
   * twice. One whose outcome did reach the store (only the commit's answer was lost), or that another
   * instance has taken over and run since (its attempt is not ours), is left as it is.
   */
  const takeBackStranded = async () => {
    for (const [id, { key, attempts }] of started) {
      if (inFlight.has(key)) continue;
      const current = await store.getAction(id).catch(() => null);
      if (current === null) return; // the store is still away: the next tick tries again
      if (current?.status === 'running' && current.attempts === attempts) {
        const taken = await store.updateAction(id, { status: 'pending', nextAttemptAt: clock.now() }).then(
          () => true,
          () => false,
        );
        if (!taken) return;
        log.warn({ action: id, tenant: current.tenant }, 'action cut off by a store failure: taken back');
      }
      started.delete(id);
    }
  };

  const runDue = async () => {
    await takeBackStranded();
    const due = await store.dueActions(clock.now(), options.batch ?? 5_000);
    const started: Promise<number>[] = [];
    for (const record of due) {
      const key = opportunityKey(record);
      if (inFlight.has(key)) continue;
      inFlight.add(key);
      const run = runOpportunity(record.tenant, record.opportunityId, record.decisionId)
        .catch((error: unknown) => {
          log.error(
            { err: error, tenant: record.tenant, opportunityId: record.opportunityId },
            'executor error',
          );
          return 0;
        })
        .finally(() => inFlight.delete(key));
      started.push(run);
    }
    const counts = await Promise.all(started);
    return counts.reduce((sum, count) => sum + count, 0);
  };

  return {
    tick() {
      const running = runDue().finally(() => ticks.delete(running));
      ticks.add(running);
      return running;
    },
    async settled() {
      while (ticks.size > 0) await Promise.allSettled([...ticks]);
    },
    async recover() {
      // A send among them fails in doubt when run again (its invitation is still `sending`). On
      // PostgreSQL only what no live instance claims is taken back; dueActions does so at each tick.
      // A change refused once (on PostgreSQL, a deadlock with another instance's transaction) is
      // tried again before the start fails.
      let recovered: Awaited<ReturnType<Store['recoverActions']>> = [];
      for (let attempt = 1; ; attempt++) {
        try {
          recovered = await store.recoverActions(clock.now());
          break;
        } catch (error) {
          if (attempt >= 3) throw error;
          log.warn({ err: error, attempt }, 'could not take back the actions left running: trying again');
        }
      }
      if (recovered.length > 0) log.info({ actions: recovered.length }, 'actions left running taken back');
    },
    retry(actionId, retryOptions) {
      const vendor = (id: string) => {
        const tenant = options.tenant(id);
        if (!tenant?.secrets) throw new StagegateError('TENANT_NOT_READY', `tenant ${id} is not ready`);
        return options.provider(tenant);
      };
      return retryAction({ store, clock, log, vendor }, actionId, retryOptions);
    },
    async retryNow(tenant) {
      const ids = waitingOnKey.get(tenant);
      if (ids === undefined) return;
      waitingOnKey.delete(tenant);
      const now = clock.now();
      for (const id of ids) {
        if ((await store.getAction(id))?.status === 'pending')
          await store.updateAction(id, { nextAttemptAt: now });
      }
      void this.tick();
    },
  };
}

/** An opportunity's actions run one at a time; an action without one is alone with its decision. */
function opportunityKey(record: ActionRecord): string {
  return `${record.tenant}\0${record.opportunityId ?? record.decisionId}`;
}
