import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { deepFreeze } from '../kernel/deep-freeze.js';
import { assembleRules, defaultPacks } from './assemble-rules.js';
import { checkOutboundHosts } from './check-outbound-hosts.js';
import { checkSchema } from './check-schema.js';
import { checkSecretRefs } from './check-secret-refs.js';
import { checkTenant } from './check-tenant.js';
import type { Diagnostic } from './diagnostic.js';
import type { LoadedPack } from './load-pack.js';
import { readYaml } from './read-yaml.js';
import { resolveSecrets, type SecretSources } from './resolve-secrets.js';
import type { TenantFile, TenantSettings, TenantSnapshot } from './types.js';

export type TenantStatus = 'ready' | 'not-ready' | 'invalid';

export interface TenantLoad {
  /** The id the file name gives (tenants/<id>.yaml). */
  tenant: string;
  file: string;
  status: TenantStatus;
  /** Present unless invalid; `secrets` is null while not ready. */
  snapshot: TenantSnapshot | null;
  diagnostics: Diagnostic[];
  /** The pack names this tenant used (or tried to); hot reload follows them. */
  packs: string[];
}

export interface LoadTenantInput {
  file: string;
  text: string;
  findPack(name: string): LoadedPack | undefined;
  /** The packs there are, for a did-you-mean when a tenant names one that is not. */
  packNames?: readonly string[];
  secrets: SecretSources;
  /**
   * Why a vendor could not call this service back (STAGEGATE_PUBLIC_URL unset or not https), from the
   * server; a tenant whose vendor calls back is then not ready. Absent for the CLI's checks.
   */
  publicUrlProblem?: string | null;
  /**
   * STAGEGATE_ALLOWED_HOSTS, as parsed by the composition root; none by default (Lever's own API
   * only). 'unchecked' for tools that send nothing (stagegate test, explain).
   */
  allowedHosts?: readonly string[] | 'unchecked';
}

/** YAML -> schema -> checks -> compiled rules -> a frozen, versioned snapshot. Never throws. */
export function loadTenant({
  file,
  text,
  findPack,
  packNames: knownPacks = [],
  secrets,
  publicUrlProblem,
  allowedHosts = [],
}: LoadTenantInput): TenantLoad {
  const tenant = basename(file).replace(/\.ya?ml$/, '');
  const yaml = readYaml(file, text);
  const diagnostics = [...yaml.diagnostics];
  const invalid = (packs: string[] = []): TenantLoad => ({
    tenant,
    file,
    status: 'invalid',
    snapshot: null,
    diagnostics,
    packs,
  });
  if (yaml.data === undefined) return invalid();

  // The secret positions are checked apart from the schema, so that nothing written there is repeated.
  const schemaProblems = [...checkSchema('tenant', yaml), ...checkSecretRefs(tenant, yaml.data, yaml)];
  for (const d of schemaProblems) diagnostics.push(d);
  const data = yaml.data as TenantFile;
  // Hot reload follows the packs a tenant names, found or not, so that adding a missing pack heals it.
  const named = Array.isArray((data as { packs?: unknown } | null)?.packs)
    ? data.packs?.map(String)
    : undefined;
  const wanted = named ?? defaultPacks;
  if (schemaProblems.length > 0) {
    // Report the cross-checks too where the file's shape allows, so that one run lists everything.
    for (const d of bestEffort(() => checkTenant(data, yaml))) diagnostics.push(d);
    for (const d of bestEffort(() => assembleRules(data, yaml, findPack, knownPacks).diagnostics))
      diagnostics.push(d);
    return invalid(wanted);
  }

  for (const d of checkTenant(data, yaml)) diagnostics.push(d);
  if (allowedHosts !== 'unchecked') {
    for (const d of checkOutboundHosts(data, yaml, allowedHosts)) diagnostics.push(d);
  }
  const assembled = assembleRules(data, yaml, findPack, knownPacks);
  for (const d of assembled.diagnostics) diagnostics.push(d);
  const packNames = assembled.packs.map((pack) => pack.name);
  const resolved = resolveSecrets(tenant, data, yaml, secrets);
  for (const d of resolved.diagnostics) diagnostics.push(d);
  if (diagnostics.some((d) => d.severity === 'error')) return invalid(wanted);
  const callsBack = data.provider.kind !== 'sandbox';
  const unreachable = callsBack && publicUrlProblem !== undefined && publicUrlProblem !== null;
  if (unreachable) {
    diagnostics.push({
      file: yaml.file,
      ...yaml.locate(['provider', 'kind']),
      code: 'public-url',
      message: publicUrlProblem,
      path: 'provider.kind',
      severity: 'warning',
      hint: 'this vendor calls back; the sandbox provider does not need STAGEGATE_PUBLIC_URL',
    });
  }
  const served = unreachable ? null : resolved.secrets;

  const snapshot: TenantSnapshot = deepFreeze({
    id: data.tenant,
    file,
    version: versionOf(text, assembled.packs),
    settings: settingsOf(data),
    rules: assembled.rules,
    secrets: served,
    packs: packNames,
  });
  return {
    tenant,
    file,
    status: served ? 'ready' : 'not-ready',
    snapshot,
    diagnostics,
    packs: packNames,
  };
}

function bestEffort(check: () => Diagnostic[]): Diagnostic[] {
  try {
    return check();
  } catch {
    return []; // the schema errors already say what is wrong with the shape
  }
}

function versionOf(text: string, packs: readonly LoadedPack[]): string {
  const hash = createHash('sha256').update(text);
  for (const pack of packs) hash.update('\0').update(pack.name).update('\0').update(pack.text);
  return hash.digest('hex').slice(0, 12);
}

function settingsOf(data: TenantFile): TenantSettings {
  const after = data.resend?.after;
  const afterMs = after ? Number.parseInt(after, 10) * (after.endsWith('d') ? 86_400_000 : 3_600_000) : null;
  return {
    id: data.tenant,
    displayName: data.displayName ?? data.tenant,
    lever: { baseUrl: data.lever.baseUrl ?? 'https://api.lever.co/v1', auth: data.lever.auth ?? 'apiKey' },
    provider: { kind: data.provider.kind, baseUrl: data.provider.baseUrl ?? null },
    tests: Object.fromEntries(
      Object.entries(data.tests).map(([name, test]) => [name, { providerTestId: test.providerTestId }]),
    ),
    triggers: data.triggers.map((trigger) => ({
      stage: trigger.stage,
      defaultTest: trigger.defaultTest ?? null,
    })),
    selection: {
      precedence: data.selection?.precedence ?? ['candidateTag', 'posting', 'stageDefault'],
      postings: data.selection?.postings ?? {},
      whenSeveralTags: data.selection?.whenSeveralTags ?? 'hold',
    },
    scoring: { pass: data.scoring?.pass ?? null, fail: data.scoring?.fail ?? null },
    tagPrefix: data.tags?.prefix ?? 'Hired Assessments',
    resend: {
      policy: data.resend?.policy ?? 'never',
      afterMs: data.resend?.policy === 'after' ? afterMs : null,
    },
    options: data.options ?? {},
  };
}
