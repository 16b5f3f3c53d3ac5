import type { ConditionTrace, RuleTrace } from './types.js';

/** A rule's trace as indented lines: each condition with the fact's value, the comparison and its YAML line. */
export function formatTrace(rule: RuleTrace): string[] {
  const lines = [`${mark(rule.fired)} ${rule.rule} (priority ${rule.priority})  ${rule.source}`];
  const walk = (node: ConditionTrace, depth: number) => {
    const pad = '  '.repeat(depth);
    if (node.op === 'fact') {
      const fact = node.path ? `${node.fact} ${node.path}` : node.fact;
      lines.push(
        `${pad}${mark(node.result)} ${fact} ${node.operator} ${show(node.expected)} (fact was ${show(node.actual)})  ${node.source}`,
      );
    } else if (node.op === 'not') {
      lines.push(`${pad}${mark(node.result)} not`);
      walk(node.child, depth + 1);
    } else {
      lines.push(`${pad}${mark(node.result)} ${node.op}`);
      for (const child of node.children) walk(child, depth + 1);
    }
  };
  walk(rule.conditions, 2);
  return lines;
}

function mark(result: boolean | null): string {
  if (result === null) return '·';
  return result ? '✓' : '✗';
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
