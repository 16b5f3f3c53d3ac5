import type { ConditionTrace } from './types.js';

/**
 * A group's result, derived from its children: json-rules-engine records results on comparisons
 * only. The trace keeps the engine's own evaluated tree (no copy on the hot path); readers ask this.
 */
export function conditionResult(node: ConditionTrace): boolean | null {
  if (node.all || node.any) {
    // A condition not evaluated (null: the group's result was known without it) decides nothing.
    const results = (node.all ?? node.any ?? []).map(conditionResult);
    const decisive = node.all === undefined;
    if (results.includes(decisive)) return decisive;
    if (results.some((result) => result === null)) return null;
    return !decisive;
  }
  if (node.not) {
    const inner = conditionResult(node.not);
    return inner === null ? null : !inner;
  }
  return typeof node.result === 'boolean' ? node.result : null;
}
