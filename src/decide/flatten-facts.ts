import type { CompiledRule } from '../config/types.js';
import type { Facts } from '../kernel/facts.js';

/**
 * The facts as json-rules-engine reads them: a fact by name (for `fact: stage, path: $.name`) or a
 * field by dotted name (for the shorter `fact: stage.name`). Only the names the rules read are
 * passed: the engine wraps and hashes every fact it is given, so unused ones cost time.
 */
export function flattenFacts(facts: Facts, names: readonly string[]): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const name of names) {
    const dot = name.indexOf('.');
    const root = (facts as unknown as Record<string, Record<string, unknown> | undefined>)[
      dot < 0 ? name : name.slice(0, dot)
    ];
    flat[name] = dot < 0 ? root : root?.[name.slice(dot + 1)];
  }
  return flat;
}

const namesByRules = new WeakMap<readonly CompiledRule[], string[]>();

/** Every fact name the rules' conditions read, directly or as a value (`value: { fact: … }`). */
export function factNamesOf(rules: readonly CompiledRule[]): string[] {
  let names = namesByRules.get(rules);
  if (!names) {
    const found = new Set<string>();
    const walk = (node: unknown) => {
      if (node === null || typeof node !== 'object') return;
      const condition = node as { fact?: unknown; value?: { fact?: unknown } };
      if (typeof condition.fact === 'string') found.add(condition.fact);
      if (typeof condition.value?.fact === 'string') found.add(condition.value.fact);
      for (const child of Object.values(node)) if (typeof child === 'object') walk(child);
    };
    for (const rule of rules) walk(rule.conditions);
    names = [...found];
    namesByRules.set(rules, names);
  }
  return names;
}
