import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/config/diagnostic.js';
import { loadTenant } from '../../../src/config/load-tenant.js';
import { envSecretSources } from '../../../src/config/resolve-secrets.js';

const canary = 'vk_live_CANARY_51Hc0ffee';

/** A tenant file whose lever section is `lever` (indented by the caller), loaded with nothing set. */
function load(lever: string, before = '') {
  const text = `tenant: acme
${before}lever:
${lever}
provider: { kind: sandbox }
tests: { "Backend - Python": { providerTestId: t-101 } }
triggers: [{ stage: Technical Screen }]
packs: []
`;
  const result = loadTenant({
    file: 'tenants/acme.yaml',
    text,
    findPack: () => undefined,
    secrets: envSecretSources({ GLOBEX__LEVER_API_KEY: 'globex-key-canary' }),
  });
  const printed = result.diagnostics.map(formatDiagnostic).join('\n');
  return { ...result, printed, codes: result.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`) };
}

const tokens = '  webhookTokens: { candidateStageChange: [{ env: ACME__TOKEN }] }';

describe('secret positions', () => {
  it.each([
    ['the key itself as apiKey', `  apiKey: "${canary}"\n${tokens}`, 'inline-secret@3:11'],
    ['the key after env:', `  apiKey: { env: "${canary}-x" }\n${tokens}`, 'inline-secret@3:18'],
    [
      'a token in the list',
      `  apiKey: { env: ACME__K }\n  webhookTokens: { candidateStageChange: ["${canary}"] }`,
      'inline-secret@4:43',
    ],
    [
      'a token instead of the list',
      `  apiKey: { env: ACME__K }\n  webhookTokens: { candidateStageChange: ${canary} }`,
      'inline-secret@4:42',
    ],
    ['the key as a mapping key', `  apiKey: { ${canary}: true }\n${tokens}`, 'schema@3:11'],
    ['a number', `  apiKey: 4242424242424242\n${tokens}`, 'inline-secret@3:11'],
  ])('report %s, never repeating it', (_what, lever, expected) => {
    const { status, codes, printed } = load(lever);
    expect(status).toBe('invalid');
    expect(codes).toEqual([expected]);
    expect(printed).not.toContain('CANARY');
    expect(printed).not.toContain('4242');
  });

  it('say where the secret should go instead', () => {
    const { diagnostics } = load(`  apiKey: "${canary}"\n${tokens}`);
    expect(diagnostics[0]?.message).toBe(
      'a secret is written in the file itself (masked: 24 characters); a tenant file names where a secret is, never the secret',
    );
    expect(diagnostics[0]?.hint).toContain('move it to an environment variable named ACME__LEVER_API_KEY');
  });

  it('check a reference an alias brings in like one written in place', () => {
    const smuggled = load(
      `  apiKey: *other\n${tokens}`,
      'rules:\n  - name: decoy\n    when: { fact: stage.name, operator: equal, value: &other { env: GLOBEX__LEVER_API_KEY } }\n',
    );
    expect(smuggled.status).toBe('invalid');
    expect(smuggled.codes).toContain('secret-scope@6:11');
    expect(smuggled.printed).not.toContain('globex-key-canary');
  });

  it('take a merge key as the literal key it is in YAML 1.2, so it smuggles nothing in', () => {
    const merged = load(`  <<: { apiKey: { env: GLOBEX__LEVER_API_KEY } }\n${tokens}`);
    expect(merged.status).toBe('invalid');
    expect(merged.codes).toEqual(['missing-key@3:3', 'unknown-key@3:3']);
  });
});
