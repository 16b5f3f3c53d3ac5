import { isRecord } from '../kernel/json.js';
import type { Diagnostic } from './diagnostic.js';
import { createErrorReporter, type YamlFile, type YamlPath } from './read-yaml.js';
import { suggestEnvName } from './resolve-secrets.js';

/**
 * Where a tenant file names a secret: `lever.apiKey`, `provider.apiKey` and each of
 * `lever.webhookTokens.<event>`. Whatever is written there may be a key pasted in by mistake, so no
 * diagnostic repeats it: the schema's own errors there are dropped (check-schema.ts) and this
 * module reports them instead, with the value masked.
 */
export function isSecretPosition(path: YamlPath): boolean {
  const [section, key, event] = path;
  if ((section === 'lever' || section === 'provider') && key === 'apiKey') return true;
  return section === 'lever' && key === 'webhookTokens' && event !== undefined;
}

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks every secret position of tenant `tenant`'s parsed file, whatever the rest of its shape.
 * A scalar where a reference belongs is an inline secret; a malformed reference is a schema error.
 * Aliases are already resolved in the data, so a reference smuggled in by `*alias` is checked here
 * (and in resolveSecrets) like one written in place.
 */
export function checkSecretRefs(tenant: string, data: unknown, yaml: YamlFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = createErrorReporter(yaml, out);
  const inline = (path: YamlPath, value: unknown) => {
    const suggested = suggestEnvName(tenant, '', path);
    report(
      'inline-secret',
      path,
      `a secret is written in the file itself (${mask(value)}); a tenant file names where a secret is, never the secret`,
      `move it to an environment variable named ${suggested} and write { env: ${suggested} }; then have the key replaced, since the file was seen`,
    );
  };
  const malformed = (path: YamlPath, what: string) => {
    const suggested = suggestEnvName(tenant, '', path);
    report(
      'schema',
      path,
      `${what} (what is written here is not shown: it may be a secret)`,
      `write { env: ${suggested} }, or { file: <name> } for a file in the tenant's secrets directory`,
    );
  };

  const checkRef = (value: unknown, path: YamlPath) => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      inline(path, value);
    } else if (value === null || value === undefined) {
      malformed(path, 'a secret reference is needed here');
    } else if (Array.isArray(value) || typeof value !== 'object') {
      malformed(path, 'a secret reference is { env: NAME } or { file: name }, not a list');
    } else {
      const entries = Object.entries(value);
      const [key, named] = entries[0] ?? [];
      if (entries.length !== 1 || (key !== 'env' && key !== 'file')) {
        malformed(path, 'a secret reference is { env: NAME } or { file: name }, exactly one of the two');
      } else if (typeof named !== 'string' || named.trim() === '') {
        malformed([...path, key], `${key}: takes a name`);
      } else if (key === 'env' && !envName.test(named)) {
        // Not a variable name: most likely the key itself, pasted after `env:`.
        inline([...path, key], named);
      }
    }
  };

  const root = asRecord(data);
  const lever = asRecord(root?.lever);
  const provider = asRecord(root?.provider);
  if (lever && 'apiKey' in lever) checkRef(lever.apiKey, ['lever', 'apiKey']);
  if (provider && 'apiKey' in provider) checkRef(provider.apiKey, ['provider', 'apiKey']);
  const tokens = asRecord(lever?.webhookTokens);
  for (const [event, list] of Object.entries(tokens ?? {})) {
    const path = ['lever', 'webhookTokens', event];
    if (Array.isArray(list)) {
      if (list.length === 0) malformed(path, 'a list of at least one secret reference is needed here');
      for (const [i, ref] of (list as unknown[]).entries()) checkRef(ref, [...path, i]);
    } else if (typeof list === 'string' || typeof list === 'number' || typeof list === 'boolean') {
      inline(path, list);
    } else {
      malformed(path, 'a list of secret references is needed here: [{ env: NAME }]');
    }
  }
  return out;
}

/** What a diagnostic may say about a secret's value: its kind and length, never a character of it. */
function mask(value: unknown): string {
  const length = String(value).length;
  return `masked: ${length} character${length === 1 ? '' : 's'}`;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}
