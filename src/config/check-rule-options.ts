import { basename } from 'node:path';
import type { Diagnostic } from './diagnostic.js';
import { formatYamlPath } from './diagnostic.js';
import type { LoadedPack } from './load-pack.js';
import type { YamlFile, YamlPath } from './read-yaml.js';
import { suggestName } from './suggest-name.js';
import type { CompiledRule, TenantFile } from './types.js';

const templatePattern = /\$\{([^}]*)\}/g;

/**
 * Every `${options.x}` that a switched-on rule's actions or reason read must be set under the
 * tenant's `options:`; otherwise the template fills in as an empty text (an archive with reason "",
 * a move to the stage ""). A tenant's own rule is reported at the template; a pack rule at the line
 * of the tenant file that switches it on (`enableRules`, else the pack in `packs`).
 */
export function checkRuleOptions(
  tenant: TenantFile,
  yaml: YamlFile,
  rules: readonly CompiledRule[],
  packs: readonly LoadedPack[],
): Diagnostic[] {
  const options = tenant.options ?? {};
  const set = Object.keys(options);
  const out: Diagnostic[] = [];
  for (const rule of rules) {
    const reported = new Set<string>();
    for (const { option, at } of optionsRead(rule)) {
      if (Object.hasOwn(options, option) || reported.has(option)) continue;
      reported.add(option);
      const guess = suggestName(option, set);
      const hint = guess
        ? `the tenant sets '${guess}': did you mean '${option}'?`
        : `set it: options: { ${option}: … }`;
      const own = rule.source.file === yaml.file;
      const path: YamlPath = own
        ? ['rules', (tenant.rules ?? []).findIndex((r) => r.name === rule.name), ...at]
        : switchedOnAt(rule, tenant, packs);
      const where = own ? '' : ` (${rule.source.file}:${rule.source.line})`;
      out.push({
        file: yaml.file,
        ...yaml.locate(path),
        code: 'unknown-fact',
        message: `the rule '${rule.name}'${where} reads options.${option}, which this tenant does not set`,
        path: formatYamlPath(path),
        severity: 'error',
        hint,
      });
    }
  }
  return out;
}

/** The options a rule's templates read, each with where in the rule (`['then', 0, 'reason']`). */
function optionsRead(rule: CompiledRule): { option: string; at: YamlPath }[] {
  const found: { option: string; at: YamlPath }[] = [];
  const walk = (value: unknown, at: YamlPath) => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(templatePattern)) {
        const [root, option] = (match[1] ?? '').trim().split('.');
        if (root === 'options' && option !== undefined && option !== '') found.push({ option, at });
      }
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, [...at, i]);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, [...at, key]);
    }
  };
  for (const [i, action] of rule.then.entries()) walk(action, ['then', i]);
  if (rule.reason !== null) walk(rule.reason, ['reason']);
  return found;
}

/** Where the tenant file switches a pack rule on: its `enableRules` entry, else its pack in `packs`. */
function switchedOnAt(rule: CompiledRule, tenant: TenantFile, packs: readonly LoadedPack[]): YamlPath {
  const enabled = (tenant.enableRules ?? []).indexOf(rule.name);
  if (enabled >= 0) return ['enableRules', enabled];
  const pack = packs.find((p) => p.file === rule.source.file)?.name ?? basename(rule.source.file);
  const listed = (tenant.packs ?? []).indexOf(pack.replace(/\.ya?ml$/, ''));
  return listed >= 0 ? ['packs', listed] : ['tenant'];
}
