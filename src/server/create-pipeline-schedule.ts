import type { Logger } from 'pino';
import type { Executor } from '../execute/create-executor.js';
import type { InboxWorker } from '../run/create-inbox-worker.js';
import type { Singletons } from '../store/claims.js';
import type { PruneReport } from '../store/types.js';

/** How often each background loop runs. */
export interface PipelineIntervals {
  executorIntervalMs: number;
  pollIntervalMs: number;
  pruneIntervalMs: number;
}

/** The pipeline's loops: the executor's ticks and drain, the worker's sweep, the poller, retention. */
export interface PipelineSchedule {
  /** After a decision: runs the executor again at once while it finds work. */
  drain(): Promise<void>;
  /**
   * Prunes once, then starts the executor's, the sweep's, the poller's and retention's timers. A
   * failed prune is logged, never thrown: the service runs on and the next one tries again.
   */
  start(intervals: PipelineIntervals): Promise<void>;
  /** Clears the timers, stops the worker, and waits for a running prune, drain and executor tick. */
  stop(): Promise<void>;
}

/**
 * The scheduling half of the pipeline: it owns every timer and loop, and none of the parts it drives
 * (create-pipeline.ts builds those). The poller and retention run under `singletons`, so on a shared
 * database one instance runs each.
 */
export function createPipelineSchedule(parts: {
  executor: Pick<Executor, 'tick' | 'settled'>;
  worker: Pick<InboxWorker, 'sweep' | 'stop'>;
  poller: { poll(): Promise<unknown> };
  /** Retention's job: one prune of finished records. */
  prune(): Promise<PruneReport>;
  singletons: Singletons;
  log: Logger;
}): PipelineSchedule {
  const { executor, worker, poller, singletons, log } = parts;

  let pruning: Promise<unknown> | null = null;
  // One prune at a time: a call while one runs (a timer tick, the start) waits for that one.
  const runRetention = () => {
    pruning ??= singletons
      .run('retention', parts.prune)
      .catch((error: unknown) =>
        log.error({ err: error }, 'retention: prune failed; the next run tries again'),
      )
      .finally(() => {
        pruning = null;
      });
    return pruning;
  };

  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  let draining: Promise<void> | null = null;
  // After a decision, runs the executor again at once while it finds work, so throughput is
  // bounded by Lever's and the vendors' allowances, not by the timer. The timer's ticks are not
  // joined to it: when an opportunity waits on a slow call, they start everyone else's actions
  // (and retries that come due) without waiting for it.
  const drain = () => {
    draining ??= (async () => {
      try {
        while (!stopped && (await executor.tick()) > 0) {}
      } catch (error) {
        log.error({ err: error }, 'executor failed');
      } finally {
        draining = null;
      }
    })();
    return draining;
  };

  return {
    drain,
    async start({ executorIntervalMs, pollIntervalMs, pruneIntervalMs }) {
      await runRetention();
      const every = (ms: number, run: () => Promise<unknown>) => {
        const timer = setInterval(() => {
          run().catch((error: unknown) => log.error({ err: error }, 'background task failed'));
        }, ms);
        timer.unref();
        timers.push(timer);
      };
      every(executorIntervalMs, () => (stopped ? Promise.resolve(0) : executor.tick()));
      // Deliveries no one decides (their instance died, or another held their opportunity), and
      // on PostgreSQL the renewal of this instance's claims on opportunities' deliveries.
      every(executorIntervalMs, () => worker.sweep());
      every(pollIntervalMs, () => singletons.run('poller', () => poller.poll()));
      every(pruneIntervalMs, runRetention);
    },
    async stop() {
      stopped = true;
      for (const timer of timers.splice(0)) clearInterval(timer);
      await worker.stop();
      await pruning;
      await draining;
      await executor.settled();
    },
  };
}
