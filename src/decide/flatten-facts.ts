import type { Facts } from '../kernel/facts.js';

/**
 * The facts as json-rules-engine reads them: each fact by name (for `fact: stage, path: $.name`)
 * and each field by dotted name (for the shorter `fact: stage.name`).
 */
export function flattenFacts(facts: Facts): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(facts)) {
    flat[name] = value;
    for (const [field, inner] of Object.entries(value as Record<string, unknown>))
      flat[`${name}.${field}`] = inner;
  }
  return flat;
}
