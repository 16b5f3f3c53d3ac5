import { Engine } from 'json-rules-engine';
import type { CompiledRule, TenantSnapshot } from '../config/types.js';

/**
 * json-rules-engine keeps its run status on the Engine: two overlapping run() calls on one engine
 * silently skip rules. So each evaluation borrows an engine of its own from a per-snapshot pool and
 * gives it back when done; sequential decisions reuse one engine, concurrent ones get more.
 */
const idle = new WeakMap<TenantSnapshot, Engine[]>();
const maxIdle = 16;

export const engineOptions = { allowUndefinedFacts: true, replaceFactsInEventParams: false } as const;

export function createEngine(rules: readonly CompiledRule[]): Engine {
  const engine = new Engine([], engineOptions);
  for (const rule of rules) {
    engine.addRule({
      name: rule.name,
      priority: rule.priority,
      conditions: rule.conditions as never,
      event: { type: rule.name },
    });
  }
  return engine;
}

/** Borrows an idle engine of this tenant version (or makes one); give it back with `releaseEngine`. */
export function acquireEngine(snapshot: TenantSnapshot): Engine {
  return idle.get(snapshot)?.pop() ?? createEngine(snapshot.rules);
}

export function releaseEngine(snapshot: TenantSnapshot, engine: Engine): void {
  let pool = idle.get(snapshot);
  if (!pool) {
    pool = [];
    idle.set(snapshot, pool);
  }
  if (pool.length < maxIdle) pool.push(engine);
}
