import { isAbsolute, resolve } from 'node:path';
import { Secret } from '../kernel/secret.js';
import { type Diagnostic, formatYamlPath } from './diagnostic.js';
import type { YamlFile, YamlPath } from './read-yaml.js';
import type { SecretRef, TenantFile, TenantSecrets } from './types.js';

/** How secrets are looked up; the composition root passes process.env and a file reader. */
export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  /** The file's content, or undefined when it cannot be read. */
  readFile(path: string): string | undefined;
}

/**
 * The start of every environment variable a tenant may read: its id in upper case, `-` as `_`, then
 * two underscores (`big-co` -> `BIG_CO__`). Ids are words joined by single dashes, so no tenant's
 * prefix begins another's, and none begins the operator's own variables (one underscore).
 */
export function tenantEnvPrefix(tenant: string): string {
  return `${tenant.toUpperCase().replaceAll('-', '_')}__`;
}

/** Resolves every secret a tenant references; each missing one is a warning naming what to set. */
export function resolveSecrets(
  tenant: TenantFile,
  yaml: YamlFile,
  sources: SecretSources,
): { secrets: TenantSecrets | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  let missing = false;
  const lookup = (ref: SecretRef, path: YamlPath): Secret | null => {
    const value = 'env' in ref ? sources.env[ref.env] : sources.readFile(resolvePath(ref.file, yaml.file));
    if (value !== undefined && value.trim() !== '') return new Secret(value.trim());
    missing = true;
    const name = 'env' in ref ? `env:${ref.env}` : `file:${ref.file}`;
    if (reported.has(name)) return null;
    reported.add(name);
    diagnostics.push({
      file: yaml.file,
      ...yaml.locate(path),
      code: 'missing-secret',
      message:
        'env' in ref
          ? `the environment variable ${ref.env} is not set`
          : `the secret file ${ref.file} cannot be read`,
      path: formatYamlPath(path),
      severity: 'warning',
      hint:
        'env' in ref ? `set ${ref.env} in stagegate's environment` : 'create the file, readable by stagegate',
    });
    return null;
  };

  const leverApiKey = lookup(tenant.lever.apiKey, ['lever', 'apiKey']);
  const webhookTokens: Record<string, Secret[]> = {};
  for (const [event, refs] of Object.entries(tenant.lever.webhookTokens)) {
    webhookTokens[event] = refs.flatMap((ref, i) => lookup(ref, ['lever', 'webhookTokens', event, i]) ?? []);
  }
  const providerApiKey = tenant.provider.apiKey
    ? lookup(tenant.provider.apiKey, ['provider', 'apiKey'])
    : null;
  const complete = !missing && leverApiKey !== null;
  return { secrets: complete ? { leverApiKey, webhookTokens, providerApiKey } : null, diagnostics };
}

function resolvePath(file: string, tenantFile: string): string {
  return isAbsolute(file) ? file : resolve(tenantFile, '..', file);
}
