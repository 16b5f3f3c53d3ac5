import type { YamlPath } from '../../config/read-yaml.js';
import { lookUpSecret, type SecretSources } from '../../config/resolve-secrets.js';
import type { SecretRef, TenantFile } from '../../config/types.js';
import type { ResolvedSecret } from './types.js';

export interface TenantSecretRefs {
  /** null for an OAuth tenant (no key: its tokens are in the store). */
  leverApiKey: ResolvedSecret | null;
  providerApiKey: ResolvedSecret | null;
  /** Per Lever event, the signature tokens the file names for it. */
  webhookTokens: Record<string, ResolvedSecret[]>;
  /** Every reference in the file, each once, in file order. */
  all: ResolvedSecret[];
}

/** Every secret tenant `tenant`'s file names, looked up the way the service looks them up (values trimmed). */
export function resolveSecretRefs(
  file: TenantFile,
  tenant: string,
  sources: SecretSources,
): TenantSecretRefs {
  const all = new Map<string, ResolvedSecret>();
  const lookup = (ref: SecretRef, where: string, path: YamlPath): ResolvedSecret => {
    const kind = 'env' in ref ? 'env' : 'file';
    const name = 'env' in ref ? ref.env : ref.file;
    const found = lookUpSecret(tenant, ref, sources, path);
    const resolved: ResolvedSecret =
      found.kind === 'value'
        ? { name, kind, where, value: found.value }
        : { name, kind, where, value: undefined, problem: found.message, fix: found.hint };
    const first = all.get(`${kind}:${name}`) ?? resolved;
    all.set(`${kind}:${name}`, first);
    return first;
  };
  const leverApiKey =
    file.lever.apiKey === undefined ? null : lookup(file.lever.apiKey, 'lever.apiKey', ['lever', 'apiKey']);
  const webhookTokens: Record<string, ResolvedSecret[]> = {};
  for (const [event, refs] of Object.entries(file.lever.webhookTokens ?? {})) {
    webhookTokens[event] = refs.map((ref, index) =>
      lookup(ref, `lever.webhookTokens.${event}[${index}]`, ['lever', 'webhookTokens', event, index]),
    );
  }
  const providerApiKey = file.provider.apiKey
    ? lookup(file.provider.apiKey, 'provider.apiKey', ['provider', 'apiKey'])
    : null;
  return { leverApiKey, providerApiKey, webhookTokens, all: [...all.values()] };
}
