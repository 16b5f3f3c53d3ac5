import type { ConditionTrace } from './types.js';

interface EvaluatedCondition {
  all?: EvaluatedCondition[];
  any?: EvaluatedCondition[];
  not?: EvaluatedCondition;
  fact?: string;
  path?: string;
  operator?: string;
  value?: unknown;
  valueResult?: unknown;
  factResult?: unknown;
  result?: boolean;
  name?: string;
}

/** json-rules-engine's evaluated condition tree -> our trace, with each leaf's YAML position. */
export function traceConditions(condition: EvaluatedCondition): ConditionTrace {
  const result = typeof condition.result === 'boolean' ? condition.result : null;
  if (condition.all || condition.any) {
    // json-rules-engine records results on comparisons only; a group's result follows from its children.
    const op = condition.all ? 'all' : 'any';
    const children = (condition.all ?? condition.any ?? []).map(traceConditions);
    const known = children.every((child) => child.result !== null);
    const value =
      op === 'all'
        ? children.every((child) => child.result === true)
        : children.some((child) => child.result === true);
    return { op, result: known ? value : null, children };
  }
  if (condition.not) {
    const child = traceConditions(condition.not);
    return { op: 'not', result: child.result === null ? null : !child.result, child };
  }
  const isReference = condition.value !== null && typeof condition.value === 'object';
  return {
    op: 'fact',
    fact: condition.fact ?? '',
    ...(condition.path === undefined ? {} : { path: condition.path }),
    operator: condition.operator ?? '',
    expected: isReference && 'valueResult' in condition ? condition.valueResult : condition.value,
    actual: condition.factResult,
    result,
    source: condition.name ?? '',
  };
}
