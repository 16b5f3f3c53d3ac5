import type { Action } from '../kernel/actions.js';

/** Compares expected with actual actions; returns diff lines ('- expected', '+ unexpected'), empty when they match. */
export function compareActions(
  expected: readonly Action[],
  actual: readonly Action[],
  options: { match: 'exact' | 'contains'; ordered: boolean },
): string[] {
  const want = expected.map(canonical);
  const got = actual.map(canonical);
  if (options.ordered) {
    const matches =
      options.match === 'exact'
        ? want.length === got.length && want.every((w, i) => w === got[i])
        : isSubsequence(want, got);
    if (matches) return [];
    return [
      ...want.map((line) => `- ${line}`),
      ...got.map((line) => `+ ${line}`),
      '  (order matters in this case)',
    ];
  }
  const remaining = [...got];
  const missing: string[] = [];
  for (const line of want) {
    const at = remaining.indexOf(line);
    if (at >= 0) remaining.splice(at, 1);
    else missing.push(line);
  }
  if (options.match === 'exact') {
    return [...missing.map((line) => `- ${line}`), ...remaining.map((line) => `+ ${line}`)];
  }
  if (missing.length === 0) return [];
  // contains: the other actions are allowed, but what came out instead is what the reader needs.
  return [
    ...missing.map((line) => `- ${line}`),
    ...remaining.map((line) => `+ ${line}`),
    ...(remaining.length === 0 ? ['  (no other action came out)'] : []),
  ];
}

/** One line per action, keys in a fixed order, so equal actions print the same. */
export function canonical(action: Action): string {
  return JSON.stringify(sortKeys(action));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) =>
      a === 'type' ? -1 : b === 'type' ? 1 : a.localeCompare(b),
    );
    return Object.fromEntries(entries.map(([key, item]) => [key, sortKeys(item)]));
  }
  return value;
}

function isSubsequence(want: string[], got: string[]): boolean {
  let i = 0;
  for (const line of got) if (line === want[i]) i++;
  return i === want.length;
}
