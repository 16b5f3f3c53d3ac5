import { checkRuleOptions } from './check-rule-options.js';
import { compileRule } from './compile-rule.js';
import { type Diagnostic, type DiagnosticCode, formatYamlPath } from './diagnostic.js';
import type { LoadedPack } from './load-pack.js';
import type { YamlFile, YamlPath } from './read-yaml.js';
import { suggestName } from './suggest-name.js';
import type { CompiledRule, TenantFile } from './types.js';

export const defaultPacks = ['assessment-lifecycle'];

/**
 * The tenant's rule set: its packs' rules in order, then its own; a tenant rule with `replaces: true`
 * takes the place of the pack rule of that name; enableRules / disableRules switch pack rules. The
 * options the switched-on rules read must be set.
 */
export function assembleRules(
  tenant: TenantFile,
  yaml: YamlFile,
  findPack: (name: string) => LoadedPack | undefined,
  packNames: readonly string[] = [],
): { rules: CompiledRule[]; packs: LoadedPack[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, path: YamlPath, message: string, hint?: string) =>
    diagnostics.push({
      file: yaml.file,
      ...yaml.locate(path),
      code,
      message,
      path: formatYamlPath(path),
      severity: 'error',
      ...(hint === undefined ? {} : { hint }),
    });

  const packs: LoadedPack[] = [];
  const byName = new Map<string, CompiledRule>();
  (tenant.packs ?? defaultPacks).forEach((name, i) => {
    const pack = findPack(name);
    if (!pack) {
      const guess = suggestName(name, packNames);
      report(
        'unknown-pack',
        ['packs', i],
        `there is no rule pack '${name}' in the rules directory`,
        guess
          ? `did you mean '${guess}'?`
          : packNames.length > 0
            ? `the packs there are: ${packNames.join(', ')}`
            : 'a pack is a file rules/<name>.yaml',
      );
      return;
    }
    packs.push(pack);
    for (const d of pack.diagnostics) diagnostics.push(d);
    for (const rule of pack.rules) {
      const earlier = byName.get(rule.name);
      if (earlier) {
        diagnostics.push({
          ...rule.source,
          code: 'duplicate-rule',
          message: `the rule '${rule.name}' is also defined at ${earlier.source.file}:${earlier.source.line}`,
          path: '',
          severity: 'error',
        });
      } else {
        byName.set(rule.name, rule);
      }
    }
  });
  const packRuleNames = [...byName.keys()];

  (tenant.rules ?? []).forEach((raw, i) => {
    const { rule, diagnostics: ruleProblems } = compileRule(raw, yaml, ['rules', i]);
    for (const d of ruleProblems) diagnostics.push(d);
    const existing = byName.get(rule.name);
    if (existing && (!rule.replaces || existing.source.file === yaml.file)) {
      report(
        'duplicate-rule',
        ['rules', i, 'name'],
        `a rule named '${rule.name}' already exists (${existing.source.file}:${existing.source.line})`,
        existing.source.file === yaml.file
          ? 'rename one of them'
          : 'add `replaces: true` to replace the pack rule, or rename this one',
      );
    } else if (!existing && rule.replaces) {
      const guess = suggestName(rule.name, packRuleNames);
      report(
        'unknown-rule',
        ['rules', i, 'name'],
        `'${rule.name}' replaces no pack rule`,
        guess ? `did you mean '${guess}'?` : 'remove `replaces: true`',
      );
    } else {
      byName.set(rule.name, rule);
    }
  });

  const switchRules = (key: 'enableRules' | 'disableRules', enabled: boolean) => {
    (tenant[key] ?? []).forEach((name, i) => {
      const rule = byName.get(name);
      if (!rule) {
        const guess = suggestName(name, [...byName.keys()]);
        report(
          'unknown-rule',
          [key, i],
          `there is no rule '${name}'`,
          guess ? `did you mean '${guess}'?` : undefined,
        );
      } else {
        byName.set(name, { ...rule, enabled });
      }
    });
  };
  switchRules('enableRules', true);
  switchRules('disableRules', false);

  const rules = [...byName.values()].filter((rule) => rule.enabled);
  for (const d of checkRuleOptions(tenant, yaml, rules, packs)) diagnostics.push(d);
  return { rules, packs, diagnostics };
}
