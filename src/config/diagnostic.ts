/**
 * A problem found in a configuration file, at a place an account manager can go to.
 * The codes are listed in the README; a test keeps the two in step.
 */
export const diagnosticCatalog = {
  'yaml-syntax': 'The file is not valid YAML.',
  'duplicate-key': 'The same key appears twice in one mapping; YAML keeps only one of them.',
  'tab-indent': 'A line is indented with a tab; YAML allows only spaces.',
  'yaml11-value': 'A plain value that YAML 1.1 tools read differently (yes/no/on/off, a date): quote it.',
  'too-large': 'The file, its nesting or its aliases exceed what the loader accepts.',
  schema: 'A value has the wrong type or form for its key.',
  'unknown-key': 'A key the format does not have (often a typo).',
  'missing-key': 'A required key is missing.',
  'tenant-mismatch': "The `tenant:` id does not match the file's name.",
  'unknown-test': "A test is named that is not in the tenant's `tests:` catalog.",
  thresholds:
    'The fail threshold is not below the pass threshold, or a threshold is above the highest score (100, or scoring.maxScore).',
  'duplicate-trigger': 'The same stage is listed twice under `triggers:`.',
  'unknown-pack': 'A pack is named that does not exist in rules/.',
  'pack-mismatch': "The `pack:` name does not match the file's name.",
  'duplicate-rule': 'Two rules have the same name.',
  'unknown-rule': 'enableRules / disableRules / replaces names a rule that does not exist.',
  'bad-condition': 'A condition is not exactly one of all / any / not / a comparison.',
  'unknown-fact': 'A rule or template reads a fact that does not exist.',
  'bad-action': 'An action in `then:` lacks a field its type needs, or has one it does not take.',
  'inline-secret':
    'A secret is written in the file where a reference belongs; the value is masked. Move it to an environment variable.',
  'missing-secret': 'A referenced secret (environment variable or file) is not set; the tenant is not ready.',
  'secret-scope':
    "A secret reference reaches outside the tenant: an environment variable without the tenant's prefix (ACME__ for acme), or a file outside the tenant's secrets directory.",
  'secret-file':
    'A secret file is not a small regular file (a device, a FIFO, a directory, over 64 KiB, a link out).',
  'host-not-allowed':
    'A base URL goes where the operator has not allowed (STAGEGATE_ALLOWED_HOSTS), over plain http off loopback, or with credentials in it.',
  'public-url':
    "The tenant's vendor calls back, and STAGEGATE_PUBLIC_URL is unset or not https; the tenant is not ready.",
  'unreadable-file': 'The file could not be read.',
} as const;

export type DiagnosticCode = keyof typeof diagnosticCatalog;

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  code: DiagnosticCode;
  message: string;
  /** Where in the YAML, e.g. `triggers[1].defaultTest`; empty for the whole file. */
  path: string;
  hint?: string;
  /** Warnings do not make a file invalid (a missing secret makes a tenant not ready, not invalid). */
  severity: 'error' | 'warning';
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path === '' ? '' : ` (at ${d.path})`;
  const hint = d.hint === undefined ? '' : `\n    hint: ${d.hint}`;
  const label = d.severity === 'warning' ? 'warning: ' : '';
  return `${d.file}:${d.line}:${d.col}: ${label}${d.message}${where} [${d.code}]${hint}`;
}

/** `['triggers', 1, 'defaultTest']` -> `triggers[1].defaultTest`. */
export function formatYamlPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
