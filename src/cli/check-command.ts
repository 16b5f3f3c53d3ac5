import { join, relative } from 'node:path';
import { pino } from 'pino';
import { formatDiagnostic } from '../config/diagnostic.js';
import { loadTenant } from '../config/load-tenant.js';
import { readYaml } from '../config/read-yaml.js';
import type { TenantFile } from '../config/types.js';
import { systemClock } from '../kernel/clock.js';
import { createLeverClient } from '../lever/create-lever-client.js';
import { createBucketRegistry } from '../lever/rate-limit.js';
import { createGreenhousePartnerProvider } from '../providers/greenhouse-partner/create-greenhouse-partner-provider.js';
import { createSandboxProvider } from '../providers/sandbox/create-sandbox-provider.js';
import type { AssessmentProvider } from '../providers/types.js';
import { checkLever } from './check/check-lever.js';
import { checkOAuthConnection } from './check/check-oauth.js';
import { checkSecrets } from './check/check-secrets.js';
import { checkTests } from './check/check-tests.js';
import { checkWebhookTokens } from './check/check-webhook-tokens.js';
import { resolveSecretRefs } from './check/resolve-secret-refs.js';
import type { CheckResult, CheckStatus } from './check/types.js';
import { type CliIo, exitCodes, paint } from './io.js';
import { allowedHosts, configDirs, loadPacks, readText, secretSources } from './load-config-files.js';

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `stagegate check --tenant ID [--json]`: the online doctor. Loads the tenant as `explain` does, then
 * asks Lever and the vendor whether what the file names exists: the secrets are set, Lever takes the
 * API key, every trigger stage and catalog test exists, the webhook tokens are there. Reads only.
 */
export async function checkCommand(io: CliIo, options: { tenant: string; json?: boolean }): Promise<number> {
  const dirs = configDirs(io);
  const display = (path: string) => relative(io.cwd, path) || path;
  const tenantPath = join(dirs.tenantsDir, `${options.tenant}.yaml`);
  const text = readText(tenantPath);
  if (text === undefined) {
    io.stderr.write(`there is no tenant '${options.tenant}' (looked for ${display(tenantPath)})\n`);
    return exitCodes.invalid;
  }
  const packs = loadPacks(dirs.rulesDir, display);
  const load = loadTenant({
    file: display(tenantPath),
    text,
    findPack: (name) => packs.get(name),
    packNames: [...packs.keys()],
    secrets: secretSources(io),
    allowedHosts: allowedHosts(io).hosts,
  });

  let results: CheckResult[];
  if (!load.snapshot) {
    results = [
      {
        check: 'tenant file',
        status: 'failed',
        message: load.diagnostics
          .filter((d) => d.severity === 'error')
          .map(formatDiagnostic)
          .join('\n'),
        fix: `run stagegate validate ${display(tenantPath)} and fix what it lists`,
      },
    ];
  } else {
    const { settings } = load.snapshot;
    // The schema passed, so the file has the shape the loader checked; the refs are what it names.
    const file = readYaml(tenantPath, text).data as TenantFile;
    const secrets = resolveSecretRefs(file, options.tenant, secretSources(io));
    const log = pino({ level: 'silent' });
    const sleep = realSleep;
    const leverKey = secrets.leverApiKey?.value;
    const lever =
      leverKey === undefined
        ? undefined
        : createLeverClient({
            baseUrl: settings.lever.baseUrl,
            apiKey: leverKey,
            clock: systemClock,
            sleep,
            buckets: createBucketRegistry({ clock: systemClock, sleep }),
            log,
            // A doctor answers quickly: one retry, not the service's patient schedule.
            retry: { attempts: 2 },
          });
    let provider: AssessmentProvider | undefined;
    if (settings.provider.kind === 'sandbox') {
      provider = createSandboxProvider();
    } else if (settings.provider.baseUrl !== null && secrets.providerApiKey?.value !== undefined) {
      provider = createGreenhousePartnerProvider({
        baseUrl: settings.provider.baseUrl,
        apiKey: secrets.providerApiKey.value,
        log,
      });
    }
    results = [
      ...checkSecrets(secrets.all),
      ...(secrets.leverApiKey === null
        ? await checkOAuthConnection(io, {}, options.tenant, settings)
        : await checkLever(settings, secrets.leverApiKey, lever)),
      ...(await checkTests(settings, secrets.providerApiKey, provider)),
      ...(secrets.leverApiKey === null ? [] : checkWebhookTokens(secrets.webhookTokens)),
    ];
  }

  const failed = results.filter((result) => result.status === 'failed').length;
  if (options.json) {
    io.stdout.write(
      `${JSON.stringify({ tenant: options.tenant, file: display(tenantPath), ok: failed === 0, checks: results }, null, 2)}\n`,
    );
  } else {
    io.stdout.write(formatChecks(io, options.tenant, display(tenantPath), results));
  }
  return failed === 0 ? exitCodes.ok : exitCodes.failed;
}

const marks: Record<CheckStatus, { mark: string; colour: 'green' | 'red' | 'yellow' | 'dim' }> = {
  ok: { mark: '✓', colour: 'green' },
  failed: { mark: '✗', colour: 'red' },
  warning: { mark: '!', colour: 'yellow' },
  skipped: { mark: '-', colour: 'dim' },
};

function formatChecks(io: CliIo, tenant: string, file: string, results: readonly CheckResult[]): string {
  const lines = [`${paint(io, 'bold', `tenant ${tenant}`)} (${file})`];
  for (const result of results) {
    const { mark, colour } = marks[result.status];
    const [first = '', ...rest] = result.message.split('\n');
    lines.push(`${paint(io, colour, mark)} ${result.check}: ${first}`);
    for (const line of rest) lines.push(`    ${line}`);
    if (result.fix !== undefined && result.status !== 'ok') lines.push(`    fix: ${result.fix}`);
  }
  const count = (status: CheckStatus) => results.filter((result) => result.status === status).length;
  const failed = count('failed');
  const warnings = count('warning');
  lines.push(
    '',
    failed === 0
      ? paint(io, 'green', `all checks passed${warnings > 0 ? ` (${warnings} warning(s))` : ''}`)
      : paint(io, 'red', `${failed} check(s) failed${warnings > 0 ? `, ${warnings} warning(s)` : ''}`),
  );
  return `${lines.join('\n')}\n`;
}
