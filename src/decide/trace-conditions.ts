import type { ConditionTrace } from './types.js';

/**
 * A group's result, derived from its children: json-rules-engine records results on comparisons
 * only. The trace keeps the engine's own evaluated tree (no copy on the hot path); readers ask this.
 */
export function conditionResult(node: ConditionTrace): boolean | null {
  if (node.all || node.any) {
    const results = (node.all ?? node.any ?? []).map(conditionResult);
    if (results.some((result) => result === null)) return null;
    return node.all ? results.every(Boolean) : results.some(Boolean);
  }
  if (node.not) {
    const inner = conditionResult(node.not);
    return inner === null ? null : !inner;
  }
  return typeof node.result === 'boolean' ? node.result : null;
}
