import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRecord } from '../../../src/kernel/json.js';
import { repoRoot } from '../../support/load-shipped-tenant.js';

// Editors that follow the schemas (yaml-language-server) show a key's description and examples as
// an account manager types it: every property of every schema must have both.
const schemaFiles = readdirSync(join(repoRoot, 'schemas'))
  .filter((name) => name.endsWith('.schema.json'))
  .sort();

type Schema = Record<string, unknown>;

const isSchema: (value: unknown) => value is Schema = isRecord;

/**
 * Every property (an entry of a `properties` map) anywhere in `schema`, by its JSON pointer. The
 * conditions of if/then/else and `not` name properties only to test them, so they are not walked.
 */
function propertiesOf(schema: Schema, pointer = '#'): [string, Schema][] {
  const found: [string, Schema][] = [];
  const walk = (node: unknown, at: string) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        walk(item, `${at}/${i}`);
      });
      return;
    }
    if (!isSchema(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'if' || key === 'then' || key === 'else' || key === 'not') continue;
      if (key === 'examples' || key === 'default' || key === 'const' || key === 'enum') continue;
      if (key === 'properties' && isSchema(value)) {
        for (const [name, property] of Object.entries(value)) {
          if (isSchema(property)) found.push([`${at}/properties/${name}`, property]);
          walk(property, `${at}/properties/${name}`);
        }
      } else {
        walk(value, `${at}/${key}`);
      }
    }
  };
  walk(schema, pointer);
  return found;
}

describe('schema documentation', () => {
  it('has the schemas the issue names', () => {
    expect(schemaFiles).toEqual(
      expect.arrayContaining(['tenant.schema.json', 'fixture.schema.json', 'action.schema.json']),
    );
  });

  it.each(schemaFiles)('%s: every property has a description and examples', (file) => {
    const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', file), 'utf8')) as Schema;
    const properties = propertiesOf(schema);
    expect(properties.length).toBeGreaterThan(0);
    const lacking = properties.flatMap(([pointer, property]) => [
      ...(typeof property.description === 'string' && property.description.trim() !== ''
        ? []
        : [`${pointer}: no description`]),
      ...(Array.isArray(property.examples) && property.examples.length > 0
        ? []
        : [`${pointer}: no examples`]),
    ]);
    expect(lacking).toEqual([]);
  });

  it('finds nested properties and skips the conditions of if/then', () => {
    const pointers = propertiesOf({
      properties: { a: { properties: { b: {} } } },
      definitions: { d: { properties: { c: {} } } },
      allOf: [JSON.parse('{ "if": { "properties": { "x": {} } }, "then": { "properties": { "y": {} } } }')],
    }).map(([pointer]) => pointer);
    expect(pointers).toEqual([
      '#/properties/a',
      '#/properties/a/properties/b',
      '#/definitions/d/properties/c',
    ]);
  });
});
