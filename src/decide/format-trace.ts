import { conditionResult } from './trace-conditions.js';
import type { ConditionTrace, RuleTrace } from './types.js';

/** A rule's trace as indented lines: each condition with the fact's value, the comparison and its YAML line. */
export function formatTrace(rule: RuleTrace): string[] {
  const lines = [`${mark(rule.fired)} ${rule.rule} (priority ${rule.priority})  ${rule.source}`];
  const walk = (node: ConditionTrace, depth: number) => {
    const pad = '  '.repeat(depth);
    const result = mark(conditionResult(node));
    const group = node.all ? 'all' : node.any ? 'any' : undefined;
    if (group) {
      lines.push(`${pad}${result} ${group}`);
      for (const child of node.all ?? node.any ?? []) walk(child, depth + 1);
    } else if (node.not) {
      lines.push(`${pad}${result} not`);
      walk(node.not, depth + 1);
    } else {
      const fact = node.path ? `${node.fact} ${node.path}` : node.fact;
      const expected =
        'valueResult' in node && typeof node.value === 'object' ? node.valueResult : node.value;
      // Not evaluated: its group's result was known first (deferred facts are read last).
      const read = conditionResult(node) === null ? 'not read' : `fact was ${show(node.factResult)}`;
      lines.push(`${pad}${result} ${fact} ${node.operator} ${show(expected)} (${read})  ${node.name}`);
    }
  };
  walk(rule.conditions, 2);
  return lines;
}

/**
 * Whether a rule is about events of this type: false when a condition every match needs (on the
 * `all` spine from the top) compares event.type and fails, or an `any` there does nothing else.
 * What cannot be told from the trace (an operator other than equal / in) counts as about it.
 */
export function concernsEvent(rule: RuleTrace, eventType: string): boolean {
  const isTypeLeaf = (node: ConditionTrace) =>
    node.fact === 'event.type' || (node.fact === 'event' && node.path === '$.type');
  const leafRules = (node: ConditionTrace): boolean | undefined => {
    if (!isTypeLeaf(node)) return undefined;
    const value = node.value;
    switch (node.operator) {
      case 'equal':
        return value === eventType;
      case 'notEqual':
        return value !== eventType;
      case 'in':
        return !Array.isArray(value) || value.includes(eventType);
      case 'notIn':
        return !Array.isArray(value) || !value.includes(eventType);
      default:
        return true;
    }
  };
  const walk = (node: ConditionTrace): boolean => {
    if (node.all) return node.all.every(walk);
    if (node.any) {
      const leaves = node.any.map(leafRules);
      return !leaves.every((leaf) => leaf === false);
    }
    return leafRules(node) ?? true;
  };
  return walk(rule.conditions);
}

function mark(result: boolean | null): string {
  if (result === null) return '·';
  return result ? '✓' : '✗';
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
