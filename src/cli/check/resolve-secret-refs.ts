import { dirname, isAbsolute, resolve } from 'node:path';
import type { SecretSources } from '../../config/resolve-secrets.js';
import type { SecretRef, TenantFile } from '../../config/types.js';
import type { ResolvedSecret } from './types.js';

export interface TenantSecretRefs {
  leverApiKey: ResolvedSecret;
  providerApiKey: ResolvedSecret | null;
  /** Every reference in the file, each once, in file order. */
  all: ResolvedSecret[];
}

/** Every secret the tenant file names, looked up the way the service looks them up (values trimmed). */
export function resolveSecretRefs(
  file: TenantFile,
  tenantPath: string,
  sources: SecretSources,
): TenantSecretRefs {
  const all = new Map<string, ResolvedSecret>();
  const lookup = (ref: SecretRef, where: string): ResolvedSecret => {
    const kind = 'env' in ref ? 'env' : 'file';
    const name = 'env' in ref ? ref.env : ref.file;
    const raw =
      'env' in ref
        ? sources.env[ref.env]
        : sources.readFile(isAbsolute(ref.file) ? ref.file : resolve(dirname(tenantPath), ref.file));
    const value = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
    const found = all.get(`${kind}:${name}`) ?? { name, kind, where, value };
    all.set(`${kind}:${name}`, found);
    return found;
  };
  const leverApiKey = lookup(file.lever.apiKey, 'lever.apiKey');
  for (const [event, refs] of Object.entries(file.lever.webhookTokens)) {
    for (const [index, ref] of refs.entries()) lookup(ref, `lever.webhookTokens.${event}[${index}]`);
  }
  const providerApiKey = file.provider.apiKey ? lookup(file.provider.apiKey, 'provider.apiKey') : null;
  return { leverApiKey, providerApiKey, all: [...all.values()] };
}
