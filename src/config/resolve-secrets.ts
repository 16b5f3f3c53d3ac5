import { isAbsolute } from 'node:path';
import { Secret } from '../kernel/secret.js';
import { type Diagnostic, type DiagnosticCode, formatYamlPath } from './diagnostic.js';
import type { YamlFile, YamlPath } from './read-yaml.js';
import type { SecretRef, TenantFile, TenantSecrets } from './types.js';

/** A secret file as read: its text, absent, or refused (a device, a FIFO, too big, a link out). */
export type SecretFileRead =
  | { kind: 'read'; text: string }
  | { kind: 'missing' }
  | { kind: 'refused'; why: string };

/**
 * Where secrets come from; the composition root passes its environment and a file reader bound to
 * `$STAGEGATE_SECRETS_DIR` (src/config/read-secret-file.ts).
 */
export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  /** `$STAGEGATE_SECRETS_DIR`: file references resolve under `<secretsDir>/<tenant>/`; null when unset. */
  secretsDir: string | null;
  /** The file `name` in the tenant's own secrets directory; refused unless a small regular file in it. */
  readFile(tenant: string, name: string): SecretFileRead;
}

/** Sources that hold only environment variables, no secret files (tests, benchmarks). */
export function envSecretSources(env: Readonly<Record<string, string | undefined>>): SecretSources {
  return { env, secretsDir: null, readFile: () => ({ kind: 'missing' }) };
}

/**
 * The start of every environment variable a tenant may read: its id in upper case, `-` as `_`, then
 * two underscores (`big-co` -> `BIG_CO__`). Ids are words joined by single dashes, so no tenant's
 * prefix begins another's, and none begins the operator's own variables (one underscore).
 */
export function tenantEnvPrefix(tenant: string): string {
  return `${tenant.toUpperCase().replaceAll('-', '_')}__`;
}

/** One secret looked up: its value, or the problem, worded for a diagnostic (no value in it). */
export type SecretLookup =
  | { kind: 'value'; value: string }
  | {
      kind: 'missing' | 'refused';
      code: DiagnosticCode;
      message: string;
      hint: string;
      /** What to set or create, for `stagegate check` and /readyz's missing list. */
      name: string;
    };

/**
 * Looks one reference up, for tenant `tenant`, the one way the service and the CLI do it: an env
 * name must carry the tenant's prefix; a file is named inside the tenant's secrets directory.
 * `path` is where the reference is in the YAML, to suggest a name.
 */
export function lookUpSecret(
  tenant: string,
  ref: SecretRef,
  sources: SecretSources,
  path: YamlPath,
): SecretLookup {
  const prefix = tenantEnvPrefix(tenant);
  if ('env' in ref) {
    const name = ref.env;
    if (!name.startsWith(prefix) || name.length === prefix.length) {
      // A name that is not an upper-case variable name may be a secret pasted in the wrong place.
      const shown = /^[A-Z][A-Z0-9_]*$/.test(name) ? `the environment variable ${name}` : 'this variable';
      return {
        kind: 'refused',
        code: 'secret-scope',
        message: `tenant ${tenant} may not read ${shown}: its variables are named ${prefix}…${shown === 'this variable' ? ' (the name is not shown: it is not an upper-case variable name)' : ''}`,
        hint: `name it ${suggestEnvName(tenant, name, path)}; names are compared exactly, case included`,
        name,
      };
    }
    const value = sources.env[name];
    if (value !== undefined && value.trim() !== '') return { kind: 'value', value: value.trim() };
    return {
      kind: 'missing',
      code: 'missing-secret',
      message: `the environment variable ${name} is not set`,
      hint: `set ${name} in stagegate's environment`,
      name,
    };
  }

  const name = ref.file;
  const shown = JSON.stringify(name);
  const segments = name.split(/[\\/]/);
  if (name.includes('\0') || isAbsolute(name) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return {
      kind: 'refused',
      code: 'secret-scope',
      message: `the secret file ${shown} is not inside tenant ${tenant}'s secrets directory: name a file in it, such as lever-api-key`,
      hint: `the operator puts the file in $STAGEGATE_SECRETS_DIR/${tenant}/; write { file: <its name> }`,
      name,
    };
  }
  const where = sources.secretsDir === null ? null : `${sources.secretsDir}/${tenant}/${name}`;
  if (where === null) {
    return {
      kind: 'missing',
      code: 'missing-secret',
      message: `the secret file ${shown} cannot be read: STAGEGATE_SECRETS_DIR is not set`,
      hint: `the operator sets STAGEGATE_SECRETS_DIR and puts the file at $STAGEGATE_SECRETS_DIR/${tenant}/${name}`,
      name,
    };
  }
  const read = sources.readFile(tenant, name);
  if (read.kind === 'read' && read.text.trim() !== '') return { kind: 'value', value: read.text.trim() };
  if (read.kind === 'refused') {
    return {
      kind: 'refused',
      code: 'secret-file',
      message: `the secret file ${shown} is refused: ${read.why}`,
      hint: `a secret file is a regular file of at most 64 KiB inside ${sources.secretsDir}/${tenant}/`,
      name,
    };
  }
  return {
    kind: 'missing',
    code: 'missing-secret',
    message: `the secret file ${shown} ${read.kind === 'read' ? 'is empty' : `does not exist (${where})`}`,
    hint: `create ${where}, readable by stagegate, holding the secret`,
    name,
  };
}

/**
 * Resolves every secret tenant `id` references. A missing one is a warning (the tenant is not
 * ready); one outside the tenant's scope is an error (the tenant is not loaded).
 */
export function resolveSecrets(
  id: string,
  tenant: TenantFile,
  yaml: YamlFile,
  sources: SecretSources,
): { secrets: TenantSecrets | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  let complete = true;
  const lookup = (ref: SecretRef, path: YamlPath): Secret | null => {
    const found = lookUpSecret(id, ref, sources, path);
    if (found.kind === 'value') return new Secret(found.value);
    complete = false;
    const key = `${found.code}:${'env' in ref ? 'env' : 'file'}:${found.name}`;
    if (reported.has(key)) return null;
    reported.add(key);
    diagnostics.push({
      file: yaml.file,
      ...yaml.locate(path),
      code: found.code,
      message: found.message,
      path: formatYamlPath(path),
      severity: found.kind === 'missing' ? 'warning' : 'error',
      hint: found.hint,
    });
    return null;
  };

  const oauth = tenant.lever.auth === 'oauth';
  const leverApiKey =
    tenant.lever.apiKey === undefined ? null : lookup(tenant.lever.apiKey, ['lever', 'apiKey']);
  const webhookTokens: Record<string, Secret[]> = {};
  for (const [event, refs] of Object.entries(tenant.lever.webhookTokens ?? {})) {
    webhookTokens[event] = refs.flatMap((ref, i) => lookup(ref, ['lever', 'webhookTokens', event, i]) ?? []);
  }
  const providerApiKey = tenant.provider.apiKey
    ? lookup(tenant.provider.apiKey, ['provider', 'apiKey'])
    : null;
  return {
    secrets:
      complete && (oauth || leverApiKey !== null) ? { leverApiKey, webhookTokens, providerApiKey } : null,
    diagnostics,
  };
}

/** The name to suggest for a secret at `path`: the refused name re-prefixed when it was this tenant's. */
export function suggestEnvName(tenant: string, refused: string, path: YamlPath): string {
  const prefix = tenantEnvPrefix(tenant);
  const word = prefix.slice(0, -2);
  // ACME_LEVER_API_KEY (the old single-underscore form) -> ACME__LEVER_API_KEY.
  if (/^[A-Z][A-Z0-9_]*$/.test(refused) && refused.startsWith(`${word}_`)) {
    const rest = refused.slice(word.length).replace(/^_+/, '');
    if (rest !== '') return `${prefix}${rest}`;
  }
  const [section, key, event] = path;
  if (section === 'provider') return `${prefix}VENDOR_KEY`;
  if (key === 'webhookTokens' && typeof event === 'string') {
    const words = event.replace(/^candidate/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2');
    return `${prefix}LEVER_${words.toUpperCase()}_TOKEN`;
  }
  return `${prefix}LEVER_API_KEY`;
}
