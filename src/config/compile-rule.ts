import { actionFields, isActionType } from '../kernel/actions.js';
import { factCatalog } from '../kernel/facts.js';
import { isRecord } from '../kernel/json.js';
import { type Diagnostic, type DiagnosticCode, formatYamlPath } from './diagnostic.js';
import type { YamlFile, YamlPath } from './read-yaml.js';
import { suggestName } from './suggest-name.js';
import type { CompiledRule, ConditionFile, RuleFile } from './types.js';

const factNames = Object.keys(factCatalog);
const templatePattern = /\$\{([^}]*)\}/g;

/**
 * Turns a rule as written (schema-valid) into json-rules-engine form, checking what the schema
 * cannot: one kind per condition, facts that exist, action fields that fit the action's type.
 */
export function compileRule(
  rule: RuleFile,
  yaml: YamlFile,
  at: YamlPath,
): { rule: CompiledRule; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, path: YamlPath, message: string, hint?: string) => {
    diagnostics.push({
      file: yaml.file,
      ...yaml.locate(path),
      code,
      message,
      path: formatYamlPath(path),
      severity: 'error',
      ...(hint === undefined ? {} : { hint }),
    });
  };

  const checkFact = (name: string, path: YamlPath) => {
    const problem = factProblem(name);
    if (problem) report('unknown-fact', path, problem.message, problem.hint);
  };

  // `fact: stage, path: $.name` reads the same field as `fact: stage.name`, so it is checked the same way.
  const checkFactAndPath = (fact: string, jsonPath: unknown, at: YamlPath) => {
    const field = typeof jsonPath === 'string' ? firstField(jsonPath) : undefined;
    if (field === undefined || !Object.hasOwn(factCatalog, fact)) {
      checkFact(fact, [...at, 'fact']);
      return;
    }
    const fields = factCatalog[fact as keyof typeof factCatalog];
    if (fields === null || fields.includes(field)) return;
    const guess = suggestName(field, fields);
    report(
      'unknown-fact',
      [...at, 'path'],
      `the fact '${fact}' has no field '${field}'`,
      guess ? `did you mean '$.${guess}'?` : `its fields: ${fields.join(', ')}`,
    );
  };

  const compileCondition = (condition: ConditionFile, path: YamlPath): Record<string, unknown> => {
    const kinds = (['all', 'any', 'not', 'fact'] as const).filter((kind) => condition[kind] !== undefined);
    if (kinds.length !== 1) {
      report(
        'bad-condition',
        path,
        kinds.length === 0
          ? 'a condition needs all, any, not, or fact + operator + value'
          : `a condition takes one of ${kinds.join(' / ')}, not several`,
        'split it: put the parts in a list under `all:`',
      );
      return { all: [] };
    }
    if (condition.all) return { all: condition.all.map((c, i) => compileCondition(c, [...path, 'all', i])) };
    if (condition.any) return { any: condition.any.map((c, i) => compileCondition(c, [...path, 'any', i])) };
    if (condition.not) return { not: compileCondition(condition.not, [...path, 'not']) };
    const fact = condition.fact as string;
    if (condition.operator === undefined)
      report('bad-condition', path, `the comparison of '${fact}' has no operator`);
    if (!Object.hasOwn(condition, 'value'))
      report('bad-condition', path, `the comparison of '${fact}' has no value`);
    checkFactAndPath(fact, condition.path, path);
    const value = condition.value;
    if (isFactReference(value)) checkFactAndPath(value.fact, value.path, [...path, 'value']);
    const { line, col } = yaml.locate(path);
    return { ...condition, name: `${yaml.file}:${line}:${col}` };
  };

  const checkTemplates = (value: unknown, path: YamlPath) => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(templatePattern)) checkFact((match[1] ?? '').trim(), path);
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) checkTemplates(item, [...path, i]);
    }
  };

  const then = rule.then ?? [];
  then.forEach((action, i) => {
    const path = [...at, 'then', i];
    const type = action.type;
    if (!isActionType(type)) return; // the schema reported it
    const fields = actionFields[type];
    for (const [key, value] of Object.entries(action)) {
      if (key === 'type') continue;
      if (!Object.hasOwn(fields, key)) {
        const guess = suggestName(key, Object.keys(fields));
        const known = Object.keys(fields).join(', ') || 'none';
        report(
          'bad-action',
          [...path, key],
          `${type} has no field '${key}'`,
          guess ? `did you mean '${guess}'?` : `its fields: ${known}`,
        );
      }
      checkTemplates(value, [...path, key]);
    }
  });
  if (rule.reason !== undefined) checkTemplates(rule.reason, [...at, 'reason']);

  const { line, col } = yaml.locate([...at, 'name']);
  return {
    rule: {
      name: rule.name,
      description: rule.description ?? '',
      priority: rule.priority ?? 10,
      enabled: rule.enabled ?? true,
      replaces: rule.replaces ?? false,
      source: { file: yaml.file, line, col },
      conditions: compileCondition(rule.when, [...at, 'when']),
      then,
      reason: rule.reason ?? null,
    },
    diagnostics,
  };
}

/**
 * The field a JSONPath reads first by name: `name` for `$.name`, `$['name']` or `$.name[0]`; undefined
 * for `$` alone and for paths that pick fields by pattern (`$..name`, `$.*`, filters), which are not checked.
 */
function firstField(path: string): string | undefined {
  const match = /^\$(?:\.([A-Za-z_$][\w$-]*)|\[\s*(['"])(.*?)\2\s*\])/.exec(path);
  return match?.[1] ?? match?.[3];
}

function isFactReference(value: unknown): value is { fact: string; path?: unknown } {
  return isRecord(value) && typeof value.fact === 'string';
}

/** Why a dotted fact name (`stage.name`) does not exist, or undefined when it does. */
export function factProblem(name: string): { message: string; hint: string } | undefined {
  const [root = '', field, ...rest] = name.split('.');
  if (!Object.hasOwn(factCatalog, root)) {
    const guess = suggestName(root, factNames);
    return {
      message: `there is no fact '${root}'`,
      hint: guess ? `did you mean '${guess}'?` : `facts: ${factNames.join(', ')}`,
    };
  }
  const fields = factCatalog[root as keyof typeof factCatalog];
  if (fields === null || field === undefined) return undefined;
  if (!fields.includes(field) || rest.length > 0) {
    const guess = suggestName(field, fields);
    return {
      message: `the fact '${root}' has no field '${[field, ...rest].join('.')}'`,
      hint:
        guess && guess !== field ? `did you mean '${root}.${guess}'?` : `its fields: ${fields.join(', ')}`,
    };
  }
  return undefined;
}
