import { Engine } from 'json-rules-engine';
import type { CompiledRule, TenantSnapshot } from '../config/types.js';
import { factNamesOf } from './flatten-facts.js';

/**
 * json-rules-engine keeps its run status on the Engine: two overlapping run() calls on one engine
 * silently skip rules. So each evaluation borrows an engine of its own from a per-snapshot pool and
 * gives it back when done; sequential decisions reuse one engine, concurrent ones get more.
 */
const idle = new WeakMap<TenantSnapshot, Engine[]>();
const maxIdle = 16;

export const engineOptions = { allowUndefinedFacts: true, replaceFactsInEventParams: false } as const;

/**
 * An engine; with `deferred` (facts read only when a rule needs them), every fact the rules read is
 * declared with a priority: the others 2, the deferred ones 1. json-rules-engine evaluates an
 * `all` / `any` group's conditions on higher-priority facts first and stops once the group's result
 * is known, so a rule for another event type (`event.type` fails) never reads a deferred fact.
 */
export function createEngine(rules: readonly CompiledRule[], deferred?: (name: string) => boolean): Engine {
  const engine = new Engine([], engineOptions);
  if (deferred !== undefined) {
    // Declared as methods, overridden by each run's facts: a constant would be cached by the
    // almanac under the same key as the run's dynamic fact, which would then never be called.
    for (const name of factNamesOf(rules))
      engine.addFact(name, () => undefined, { priority: deferred(name) ? 1 : 2, cache: false });
  }
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

/** Engines made with deferred facts, by tenant version and the deferred facts' names. */
const idleDeferring = new WeakMap<TenantSnapshot, Map<string, Engine[]>>();

/**
 * Borrows an idle engine of this tenant version (or makes one); give it back with `releaseEngine`.
 * With `deferred`, one whose deferred facts are read last (createEngine).
 */
export function acquireEngine(snapshot: TenantSnapshot, deferred?: readonly string[]): Engine {
  if (deferred === undefined) return idle.get(snapshot)?.pop() ?? createEngine(snapshot.rules);
  return (
    idleDeferring.get(snapshot)?.get(deferred.join('\0'))?.pop() ??
    createEngine(snapshot.rules, (name) => isDeferred(name, deferred))
  );
}

export function releaseEngine(snapshot: TenantSnapshot, engine: Engine, deferred?: readonly string[]): void {
  let pool: Engine[] | undefined;
  if (deferred === undefined) {
    pool = idle.get(snapshot);
    if (!pool) {
      pool = [];
      idle.set(snapshot, pool);
    }
  } else {
    const byNames = idleDeferring.get(snapshot) ?? new Map<string, Engine[]>();
    idleDeferring.set(snapshot, byNames);
    const key = deferred.join('\0');
    pool = byNames.get(key);
    if (!pool) {
      pool = [];
      byNames.set(key, pool);
    }
  }
  if (pool.length < maxIdle) pool.push(engine);
}

/**
 * Whether a fact name (`candidate`, `candidate.tags`) reads one of the deferred facts (`candidate`,
 * `invitations.forSelectedTest`): the same, inside it, or the group that holds it.
 */
export function isDeferred(name: string, deferred: readonly string[]): boolean {
  return deferred.some((d) => name === d || name.startsWith(`${d}.`) || d.startsWith(`${name}.`));
}
