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

export type Filler = (facts: Facts) => unknown;

const compiled = new WeakMap<object, Filler>();

/**
 * `fillTemplate` turned into a function once per template object (a rule's action or reason),
 * so that a decision only reads facts, without walking and parsing the template again.
 */
export function compileTemplate(value: unknown): Filler {
  if (value !== null && typeof value === 'object') {
    const known = compiled.get(value);
    if (known) return known;
  }
  let filler: Filler;
  if (typeof value === 'string') {
    const template = parse(value);
    if (template.kind === 'text') {
      const text = template.text;
      filler = () => text;
    } else if (template.kind === 'whole') {
      const path = template.path;
      filler = (facts) => readPath(facts, path);
    } else {
      const parts = template.parts;
      filler = (facts) => {
        let out = '';
        for (const part of parts) out += typeof part === 'string' ? part : asText(readPath(facts, part));
        return out;
      };
    }
  } else if (Array.isArray(value)) {
    const items = value.map(compileTemplate);
    filler = (facts) => items.map((item) => item(facts));
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [key, compileTemplate(item)] as const);
    filler = (facts) => {
      const out: Record<string, unknown> = {};
      for (const [key, item] of entries) out[key] = item(facts);
      return out;
    };
  } else {
    filler = () => value;
  }
  if (value !== null && typeof value === 'object') compiled.set(value, filler);
  return filler;
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
