import { hash } from 'node:crypto';
import type { RuleResult } from 'json-rules-engine';
import type { CompiledRule, TenantSnapshot } from '../config/types.js';
import type { Facts } from '../kernel/facts.js';
import { acquireEngine, isDeferred, releaseEngine } from './engine-pool.js';
import { compileTemplate, fillTemplate } from './fill-template.js';
import { factNamesOf, flattenFacts } from './flatten-facts.js';
import { normalizeActions } from './normalize-actions.js';
import type { ConditionTrace, Decision, DecisionEvent, RuleTrace } from './types.js';

/**
 * Runs an event's facts through the tenant's rules. Pure and deterministic: no I/O, no clock; the
 * same tenant version, event and facts give the same decision, id included.
 */
export interface DeferredFacts {
  /** The facts (names as rules write them: `candidate`, `invitations.forSelectedTest`) `load` gives. */
  names: readonly string[];
  /** Every fact, the deferred ones included: called once at most, when a rule reads one. */
  load(): Promise<Facts>;
}

/**
 * With `deferred`, the facts it names are fetched only when a rule's condition reads one (json-rules-
 * engine dynamic facts, read after the others, cached for the run) or a fired rule's action or
 * reason names one. The decision records the facts it was made on: all of them when they were
 * fetched; otherwise `facts` as given, with `unread` naming the deferred facts no rule read (their
 * values in `facts` are placeholders). Replaying a decision with its recorded facts gives the same.
 */
export async function decide(
  tenant: TenantSnapshot,
  event: DecisionEvent,
  given: Facts,
  deferred?: DeferredFacts,
): Promise<Decision> {
  let loaded: Promise<Facts> | undefined;
  const load = () => {
    loaded ??= deferred?.load() ?? Promise.resolve(given);
    return loaded;
  };
  const names = factNamesOf(tenant.rules);
  const flat = flattenFacts(given, names);
  const deferredNames = deferred?.names;
  if (deferredNames !== undefined) {
    for (const name of names) {
      if (isDeferred(name, deferredNames)) flat[name] = async () => flattenFacts(await load(), [name])[name];
    }
  }
  const engine = acquireEngine(tenant, deferredNames);
  // A run that failed (a deferred fact could not be fetched) may still have rules evaluating on
  // the engine: it is not given back to the pool, where another run would share it.
  const outcome = await engine.run(flat);
  releaseEngine(tenant, engine, deferredNames);
  const { results, failureResults } = outcome;
  const rules = rulesByName(tenant);
  const byRule = (a: RuleResult, b: RuleResult) =>
    (rules.get(a.name)?.rank ?? 0) - (rules.get(b.name)?.rank ?? 0);
  const fired = results.length > 1 ? [...results].sort(byRule) : results;
  if (
    deferredNames !== undefined &&
    loaded === undefined &&
    fired.some((result) => templatesRead(rules.get(result.name), deferredNames))
  )
    void load();
  const facts = loaded === undefined ? given : await loaded;

  const rawActions: Record<string, unknown>[] = [];
  const reasons: string[] = [];
  for (const result of fired) {
    const rule = rules.get(result.name);
    if (!rule) continue;
    for (const action of rule.then)
      rawActions.push(compileTemplate(action)(facts) as Record<string, unknown>);
    if (rule.reason !== null) reasons.push(String(fillTemplate(rule.reason, facts)));
  }
  if (fired.length === 0) reasons.push(nothingApplies(event.type));
  // Not a rule's reason, but the decision was made without the posting: say so.
  if (facts.candidate.postingNote) reasons.push(facts.candidate.postingNote);

  const trace: RuleTrace[] = [];
  for (const list of [fired, failureResults.sort(byRule)]) {
    for (const result of list) {
      const rule = rules.get(result.name);
      trace.push(new LazyRuleTrace(result, rule?.priority ?? 0, rule?.sourceText ?? ''));
    }
  }

  return {
    id: decisionId(tenant, event),
    tenant: tenant.id,
    configVersion: tenant.version,
    event,
    facts,
    fired: fired.map((result) => ({ name: result.name, priority: rules.get(result.name)?.priority ?? 0 })),
    actions: normalizeActions(rawActions),
    reasons,
    trace,
    ...(deferredNames !== undefined && loaded === undefined ? { unread: [...deferredNames] } : {}),
  };
}

const templatePaths = /\$\{([^}]+)\}/g;
const readsByRule = new WeakMap<object, string[]>();

/** Whether the rule's actions or reason name a deferred fact (`${candidate.name}`). */
function templatesRead(rule: RankedRule | undefined, deferred: readonly string[]): boolean {
  if (rule === undefined) return false;
  let paths = readsByRule.get(rule.then);
  if (paths === undefined) {
    const text = JSON.stringify([rule.then, rule.reason]);
    paths = [...text.matchAll(templatePaths)].map((match) => (match[1] ?? '').trim());
    readsByRule.set(rule.then, paths);
  }
  return paths.some((path) => isDeferred(path, deferred));
}

/**
 * A rule's trace whose condition tree is copied out of the engine's result only when read or
 * serialised: most decisions are stored and never looked at, and the copy is the trace's main cost.
 */
class LazyRuleTrace implements RuleTrace {
  readonly rule: string;
  readonly fired: boolean;
  #evaluated: RuleResult | null;
  #conditions: ConditionTrace | null = null;

  constructor(
    result: RuleResult,
    readonly priority: number,
    readonly source: string,
  ) {
    this.rule = result.name;
    this.fired = result.result === true;
    this.#evaluated = result;
  }

  get conditions(): ConditionTrace {
    if (this.#conditions === null) {
      // A plain tree: the engine's Condition.toJSON turns itself into a string inside JSON.stringify.
      const tree = this.#evaluated?.conditions as unknown as { toJSON(stringify: false): ConditionTrace };
      this.#conditions = tree.toJSON(false);
      this.#evaluated = null;
    }
    return this.#conditions;
  }

  toJSON(): RuleTrace {
    return {
      rule: this.rule,
      priority: this.priority,
      source: this.source,
      fired: this.fired,
      conditions: this.conditions,
    };
  }
}

type RankedRule = CompiledRule & { rank: number; sourceText: string };
const ranked = new WeakMap<TenantSnapshot, Map<string, RankedRule>>();

/** The tenant's rules by name, each with its place in decision order: priority first, then file order. */
function rulesByName(tenant: TenantSnapshot): Map<string, RankedRule> {
  let map = ranked.get(tenant);
  if (!map) {
    const order = tenant.rules.map((rule, index) => ({ rule, index }));
    order.sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index);
    map = new Map(
      order.map(({ rule }, rank) => [rule.name, { ...rule, rank, sourceText: sourceOf(rule.source) }]),
    );
    ranked.set(tenant, map);
  }
  return map;
}

function decisionId(tenant: TenantSnapshot, event: DecisionEvent): string {
  return `dec_${hash('sha256', `${tenant.id}\0${tenant.version}\0${event.type}\0${event.id}`).slice(0, 20)}`;
}

function sourceOf(source: { file: string; line: number; col: number } | undefined): string {
  return source ? `${source.file}:${source.line}:${source.col}` : '';
}

function nothingApplies(type: string): string {
  if (type === 'ping') return "a test ping from Lever's webhook settings: nothing to do";
  return `no rule applies to ${type} for this candidate`;
}
