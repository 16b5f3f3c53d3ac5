import { basename } from 'node:path';
import { checkSchema } from './check-schema.js';
import { compileRule } from './compile-rule.js';
import type { Diagnostic } from './diagnostic.js';
import { readYaml } from './read-yaml.js';
import type { CompiledRule, RuleFile } from './types.js';

export interface LoadedPack {
  name: string;
  file: string;
  text: string;
  rules: readonly CompiledRule[];
  diagnostics: readonly Diagnostic[];
}

/** Reads one rule pack (rules/<name>.yaml); the pack's name is its file name. */
export function loadPack(file: string, text: string): LoadedPack {
  const name = basename(file).replace(/\.ya?ml$/, '');
  const yaml = readYaml(file, text);
  const diagnostics = [...yaml.diagnostics];
  const rules: CompiledRule[] = [];
  if (yaml.data !== undefined) {
    const schemaProblems = checkSchema('rule-pack', yaml);
    for (const d of schemaProblems) diagnostics.push(d);
    // An empty file parses to null; the schema has already said what a pack must be.
    const data = (yaml.data ?? {}) as { pack?: unknown; rules?: unknown };
    if (typeof data.pack === 'string' && data.pack !== name) {
      diagnostics.push({
        file,
        ...yaml.locate(['pack']),
        code: 'pack-mismatch',
        message: `the pack is named '${data.pack}' but the file is ${basename(file)}`,
        path: 'pack',
        severity: 'error',
        hint: `rename the file to ${data.pack}.yaml, or write pack: ${name}`,
      });
    }
    if (schemaProblems.length === 0 && Array.isArray(data.rules)) {
      const names = new Set<string>();
      (data.rules as RuleFile[]).forEach((rule, i) => {
        const compiled = compileRule(rule, yaml, ['rules', i]);
        if (names.has(rule.name)) {
          diagnostics.push({
            ...compiled.rule.source,
            code: 'duplicate-rule',
            message: `the rule '${rule.name}' is defined twice in this pack`,
            path: `rules[${i}].name`,
            severity: 'error',
            hint: 'rename one of them',
          });
        }
        names.add(rule.name);
        rules.push(compiled.rule);
        for (const d of compiled.diagnostics) diagnostics.push(d);
      });
    }
  }
  return { name, file, text, rules, diagnostics };
}
