import type { Facts } from '../kernel/facts.js';

const whole = /^\$\{([^}]+)\}$/;
const embedded = /\$\{([^}]+)\}/g;

type Parsed =
  | { kind: 'text'; text: string }
  | { kind: 'whole'; path: string[] }
  | { kind: 'mixed'; parts: (string | string[])[] };

// Templates come from configuration, so there are few distinct ones: parse each once.
const parsed = new Map<string, Parsed>();

function parse(template: string): Parsed {
  let found = parsed.get(template);
  if (!found) {
    const alone = whole.exec(template);
    if (alone) {
      found = { kind: 'whole', path: (alone[1] ?? '').trim().split('.') };
    } else if (!template.includes('${')) {
      found = { kind: 'text', text: template };
    } else {
      const parts: (string | string[])[] = [];
      let last = 0;
      for (const match of template.matchAll(embedded)) {
        parts.push(template.slice(last, match.index), (match[1] ?? '').trim().split('.'));
        last = match.index + match[0].length;
      }
      parts.push(template.slice(last));
      found = { kind: 'mixed', parts };
    }
    if (parsed.size < 10_000) parsed.set(template, found);
  }
  return found;
}

/**
 * Fills `${fact.path}` templates from facts. A string that is one template alone takes the fact's
 * value as it is (a list stays a list); templates inside longer text become text.
 */
export function fillTemplate(value: unknown, facts: Facts): unknown {
  if (typeof value === 'string') {
    const template = parse(value);
    if (template.kind === 'text') return template.text;
    if (template.kind === 'whole') return readPath(facts, template.path);
    let out = '';
    for (const part of template.parts) out += typeof part === 'string' ? part : asText(readPath(facts, part));
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => fillTemplate(item, facts));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key in value) out[key] = fillTemplate((value as Record<string, unknown>)[key], facts);
    return out;
  }
  return value;
}

export function readFact(facts: Facts, path: string): unknown {
  return readPath(facts, path.trim().split('.'));
}

function readPath(facts: Facts, path: readonly string[]): unknown {
  let node: unknown = facts;
  for (const segment of path) {
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
