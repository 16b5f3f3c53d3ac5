import type { Facts } from '../kernel/facts.js';

const whole = /^\$\{([^}]+)\}$/;
const embedded = /\$\{([^}]+)\}/g;

/**
 * Fills `${fact.path}` templates from facts. A string that is one template alone takes the fact's
 * value as it is (a list stays a list); templates inside longer text become text.
 */
export function fillTemplate(value: unknown, facts: Facts): unknown {
  if (typeof value === 'string') {
    const alone = whole.exec(value);
    if (alone) return readFact(facts, alone[1] ?? '');
    if (!value.includes('${')) return value;
    return value.replace(embedded, (_match, path: string) => asText(readFact(facts, path)));
  }
  if (Array.isArray(value)) return value.map((item) => fillTemplate(item, facts));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillTemplate(item, facts)]));
  }
  return value;
}

export function readFact(facts: Facts, path: string): unknown {
  let node: unknown = facts;
  for (const segment of path.trim().split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(asText).join(', ');
  return String(value);
}
