import type { Secret } from '../kernel/secret.js';

export type SecretRef = { env: string } | { file: string };

/** How stagegate reaches a tenant's Lever: the customer's API key, or the operator's OAuth app. */
export type LeverAuthKind = 'apiKey' | 'oauth';

export type SelectionSource = 'candidateTag' | 'posting' | 'stageDefault';

/** A tenant file as written, after schema validation. */
export interface TenantFile {
  tenant: string;
  displayName?: string;
  /** `auth: oauth`: no apiKey, webhookTokens optional (the schema's if/then says which are required). */
  lever: {
    auth?: LeverAuthKind;
    apiKey?: SecretRef;
    webhookTokens?: Record<string, SecretRef[]>;
    baseUrl?: string;
  };
  provider: { kind: 'greenhouse-partner' | 'sandbox'; baseUrl?: string; apiKey?: SecretRef };
  tests: Record<string, { providerTestId: string; description?: string }>;
  triggers: { stage: string; defaultTest?: string }[];
  selection?: {
    precedence?: SelectionSource[];
    postings?: Record<string, string>;
    whenSeveralTags?: 'hold' | 'first';
  };
  scoring?: { pass?: number; fail?: number; maxScore?: number };
  tags?: { prefix?: string };
  resend?: { policy: 'never' | 'ifNotStarted' | 'after'; after?: string };
  packs?: string[];
  rules?: RuleFile[];
  enableRules?: string[];
  disableRules?: string[];
  options?: Record<string, string | number | boolean>;
}

export interface ConditionFile {
  all?: ConditionFile[];
  any?: ConditionFile[];
  not?: ConditionFile;
  fact?: string;
  path?: string;
  operator?: string;
  value?: unknown;
  params?: Record<string, unknown>;
}

export interface RuleFile {
  name: string;
  description?: string;
  priority?: number;
  enabled?: boolean;
  replaces?: boolean;
  when: ConditionFile;
  then?: Record<string, unknown>[];
  reason?: string;
}

export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/** A rule ready for json-rules-engine: each comparison carries its YAML position as its `name`. */
export interface CompiledRule {
  name: string;
  description: string;
  priority: number;
  enabled: boolean;
  replaces: boolean;
  source: SourcePosition;
  /** json-rules-engine's condition object; leaves are named `file:line:col`. */
  conditions: Record<string, unknown>;
  then: Record<string, unknown>[];
  reason: string | null;
}

/** The tenant's settings with every default filled in. */
export interface TenantSettings {
  id: string;
  displayName: string;
  lever: { baseUrl: string; auth: LeverAuthKind };
  provider: { kind: 'greenhouse-partner' | 'sandbox'; baseUrl: string | null };
  tests: Readonly<Record<string, { providerTestId: string }>>;
  triggers: readonly { stage: string; defaultTest: string | null }[];
  selection: {
    precedence: readonly SelectionSource[];
    postings: Readonly<Record<string, string>>;
    whenSeveralTags: 'hold' | 'first';
  };
  scoring: { pass: number | null; fail: number | null };
  tagPrefix: string;
  resend: { policy: 'never' | 'ifNotStarted' | 'after'; afterMs: number | null };
  options: Readonly<Record<string, string | number | boolean>>;
}

export interface TenantSecrets {
  /** null for an OAuth tenant: its access token comes from the store (src/lever/oauth). */
  leverApiKey: Secret | null;
  /** Lever event -> the signature tokens accepted for it (several during a rotation). */
  webhookTokens: Readonly<Record<string, readonly Secret[]>>;
  providerApiKey: Secret | null;
}

/** One loaded, validated, compiled, frozen version of a tenant. */
export interface TenantSnapshot {
  id: string;
  file: string;
  /** Hash of the tenant file and the packs it uses. */
  version: string;
  settings: TenantSettings;
  rules: readonly CompiledRule[];
  /** null while a referenced secret is missing: the tenant can be tested and explained, not served. */
  secrets: TenantSecrets | null;
  packs: readonly string[];
}
