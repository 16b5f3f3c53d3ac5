import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import actionSchema from '../../schemas/action.schema.json' with { type: 'json' };
import factsSchema from '../../schemas/facts.schema.json' with { type: 'json' };
import fixtureSchema from '../../schemas/fixture.schema.json' with { type: 'json' };
import ruleSchema from '../../schemas/rule.schema.json' with { type: 'json' };
import rulePackSchema from '../../schemas/rule-pack.schema.json' with { type: 'json' };
import secretSchema from '../../schemas/secret.schema.json' with { type: 'json' };
import tenantSchema from '../../schemas/tenant.schema.json' with { type: 'json' };
import { isSecretPosition } from './check-secret-refs.js';
import { type Diagnostic, type DiagnosticCode, formatYamlPath } from './diagnostic.js';
import type { YamlFile } from './read-yaml.js';
import { suggestName, suggestTenantId } from './suggest-name.js';

const maxSchemaDiagnostics = 100;

/** `event`: a friendly event alone, as `stagegate explain --event FILE` reads it (a test case's `event:`). */
export type SchemaName = 'tenant' | 'rule-pack' | 'fixture' | 'event';

// One Ajv, compiled once at load: validation is on the hot-reload path.
const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, validateFormats: false });
ajv.addSchema(secretSchema, 'secret.schema.json');
ajv.addSchema(factsSchema, 'facts.schema.json');
ajv.addSchema(actionSchema, 'action.schema.json');
ajv.addSchema(ruleSchema, 'rule.schema.json');
ajv.addSchema(fixtureSchema, 'fixture.schema.json');
const validators: Record<SchemaName, ValidateFunction> = {
  tenant: ajv.compile(tenantSchema),
  'rule-pack': ajv.compile(rulePackSchema),
  fixture: ajv.getSchema('fixture.schema.json') as ValidateFunction,
  event: ajv.compile({ $ref: 'fixture.schema.json#/definitions/friendlyEvent' }),
};

/** Checks a parsed file against its JSON Schema; every error comes back at its line and column. */
export function checkSchema(schema: SchemaName, yaml: YamlFile): Diagnostic[] {
  const validate = validators[schema];
  if (validate(yaml.data)) return [];
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  const errors = validate.errors ?? [];
  for (const error of errors) {
    if (out.length >= maxSchemaDiagnostics) {
      out.push({
        file: yaml.file,
        line: 1,
        col: 1,
        code: 'schema',
        message: `and more problems (${errors.length} schema errors in all); fix these first`,
        path: '',
        severity: 'error',
      });
      break;
    }
    const diagnostic = toDiagnostic(schema, error, yaml);
    if (!diagnostic) continue;
    const key = `${diagnostic.path}|${diagnostic.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(diagnostic);
  }
  return out;
}

function toDiagnostic(schema: SchemaName, error: ErrorObject, yaml: YamlFile): Diagnostic | undefined {
  const path = pointerToPath(error.instancePath, yaml.data);
  // What is written where a secret belongs is never repeated; check-secret-refs.ts reports it masked.
  if (schema === 'tenant' && isSecretPosition(path)) return undefined;
  const parent = (error.parentSchema ?? {}) as {
    description?: string;
    properties?: Record<string, unknown>;
    examples?: unknown[];
  };
  const key = path[path.length - 1];
  const example = exampleHint(key, parent.examples, error.data);
  const make = (
    code: DiagnosticCode,
    at: readonly (string | number)[],
    message: string,
    hint?: string,
    where: 'key' | 'value' = 'value',
  ): Diagnostic => ({
    file: yaml.file,
    ...yaml.locate(at, where),
    code,
    message,
    path: formatYamlPath(at),
    severity: 'error',
    ...(hint === undefined ? {} : { hint }),
  });
  switch (error.keyword) {
    case 'if':
    case 'anyOf':
      return undefined;
    case 'additionalProperties': {
      const extra = String(error.params.additionalProperty);
      const known = Object.keys(parent.properties ?? {});
      const guess = suggestName(extra, known);
      const hint = guess ? `did you mean '${guess}'?` : `known keys: ${known.join(', ')}`;
      return make('unknown-key', [...path, extra], `unknown key '${extra}'`, hint, 'key');
    }
    case 'required': {
      const missing = String(error.params.missingProperty);
      const property = parent.properties?.[missing] as
        | { description?: string; examples?: unknown[] }
        | undefined;
      const wanted = exampleHint(missing, property?.examples, undefined);
      const hint = [property?.description, wanted].filter((part) => part !== undefined).join('; ');
      return make('missing-key', path, `'${missing}' is required here`, hint === '' ? undefined : hint);
    }
    case 'propertyNames': {
      const name = String(error.params.propertyName);
      const known = ((error.schema as { enum?: string[] }).enum ?? []).map(String);
      const guess = suggestName(name, known);
      return make(
        'unknown-key',
        [...path, name],
        `'${name}' is not one of the names allowed here`,
        guess ? `did you mean '${guess}'?` : `allowed: ${known.join(', ')}`,
        'key',
      );
    }
    case 'enum': {
      if (error.propertyName !== undefined) return undefined; // reported by propertyNames
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const guess = typeof error.data === 'string' ? suggestName(error.data, allowed) : undefined;
      return make(
        'schema',
        path,
        `${JSON.stringify(error.data)} is not allowed here; use one of: ${allowed.join(', ')}`,
        guess ? `did you mean '${guess}'?` : undefined,
      );
    }
    case 'pattern':
      if (key === 'tenant' && path.length === 1 && typeof error.data === 'string') {
        const id = suggestTenantId(error.data);
        return make(
          'schema',
          path,
          `${JSON.stringify(error.data)} is not a tenant id: lower-case letters and digits, in words joined by single dashes (it becomes part of the webhook URL and of the secrets' names)`,
          id === undefined
            ? 'write it like: tenant: big-co'
            : `write tenant: ${id}, and name the file ${id}.yaml`,
        );
      }
      // A URL may carry credentials: it is not repeated.
      if (key === 'baseUrl')
        return make(
          'schema',
          path,
          'the base URL does not start with https://',
          example ?? parent.description,
        );
      return make(
        'schema',
        path,
        `${JSON.stringify(error.data)} is not in the form ${describeKey(key)} takes${parent.description ? `: ${parent.description}` : ''}`,
        example ?? parent.description,
      );
    case 'type':
      return make(
        'schema',
        path,
        `${describeKey(key)} must be ${typeWords(String(error.params.type))}, not ${describe(error.data)}`,
        example ?? parent.description,
      );
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return make(
        'schema',
        path,
        `${describeKey(key)} is ${JSON.stringify(error.data)}, but must be ${error.params.comparison} ${error.params.limit}`,
        example ?? parent.description,
      );
    default:
      return make('schema', path, error.message ?? 'invalid value', example ?? parent.description);
  }
}

/** JSON Schema's type names, in words: `number,null` -> "a number, or null (or leave it out)". */
function typeWords(types: string): string {
  const words: Record<string, string> = {
    string: 'text',
    number: 'a number',
    integer: 'a whole number',
    boolean: 'true or false',
    object: 'a mapping (key: value lines, or { … })',
    array: 'a list (- item lines, or [ … ])',
  };
  const list = types.split(',');
  const named = list.filter((type) => type !== 'null').map((type) => words[type] ?? type);
  const text = named.join(' or ');
  return list.includes('null') ? `${text}, or null (or leave it out)` : text;
}

function describeKey(key: string | number | undefined): string {
  if (key === undefined) return 'the file';
  return typeof key === 'string' ? `'${key}'` : 'this value';
}

/**
 * An example of the expected form, from the schema's `examples`, written as the line to type:
 * `write it like: after: 30d`. A number written as text ("75%", "70") gets that number back.
 */
function exampleHint(
  key: string | number | undefined,
  examples: unknown[] | undefined,
  data: unknown,
): string | undefined {
  if (typeof data === 'string') {
    const number = /^\s*(-?\d+(\.\d+)?)\s*%?\s*$/.exec(data)?.[1];
    const wantsNumber = examples?.some((example) => typeof example === 'number');
    if (number !== undefined && wantsNumber) {
      return `write a plain number, without quotes or %: ${typeof key === 'string' ? `${key}: ` : ''}${number}`;
    }
  }
  const shown = (examples ?? [])
    .filter((example) => example === null || typeof example !== 'object')
    .slice(0, 2);
  if (shown.length === 0) return undefined;
  const prefix = typeof key === 'string' ? `${key}: ` : '';
  return `write it like: ${shown.map((example) => `${prefix}${example === null ? 'null' : String(example)}`).join(' or ')}`;
}

function describe(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key: string | number = Array.isArray(node) ? Number(segment) : segment;
    path.push(key);
    node =
      node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined;
  }
  return path;
}
