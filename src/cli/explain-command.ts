import { join, relative } from 'node:path';
import { formatDiagnostic } from '../config/diagnostic.js';
import { loadTenant } from '../config/load-tenant.js';
import { readYaml } from '../config/read-yaml.js';
import { decide } from '../decide/decide.js';
import { formatTrace } from '../decide/format-trace.js';
import type { Decision } from '../decide/types.js';
import { computeFacts } from '../enrich/compute-facts.js';
import { type CliIo, exitCodes, paint } from './io.js';
import { configDirs, loadPacks, readText, secretSources } from './load-config-files.js';
import { buildFactInput, defaultFixtureNow, mergeFacts } from './rule-test/build-fact-input.js';
import type { FixtureCase } from './rule-test/types.js';

/**
 * `stagegate explain --tenant ID --event FILE [--facts FILE]`: one decision, its actions and the trace
 * of every rule, without calling anyone. The event file is a friendly event (as in a test case) or a
 * raw Lever webhook body; --facts sets facts over the computed ones.
 */
export async function explainCommand(
  io: CliIo,
  options: { tenant: string; event: string; facts?: string; json?: boolean },
): Promise<number> {
  const dirs = configDirs(io);
  const display = (path: string) => relative(io.cwd, path) || path;
  const readData = (path: string): { data?: Record<string, unknown>; error?: string } => {
    const yaml = readYaml(display(path), readText(join(io.cwd, path)) ?? readText(path) ?? '');
    if (yaml.data === undefined || yaml.data === null || typeof yaml.data !== 'object') {
      return {
        error:
          yaml.diagnostics.map(formatDiagnostic).join('\n') || `${path}: cannot read an event from this file`,
      };
    }
    return { data: yaml.data as Record<string, unknown> };
  };

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
    secrets: secretSources(io),
  });
  if (!load.snapshot) {
    for (const d of load.diagnostics.filter((x) => x.severity === 'error'))
      io.stderr.write(`${formatDiagnostic(d)}\n`);
    return exitCodes.invalid;
  }
  const event = readData(options.event);
  const facts = options.facts ? readData(options.facts) : { data: {} };
  if (!event.data || !facts.data) {
    io.stderr.write(`${event.error ?? facts.error}\n`);
    return exitCodes.invalid;
  }
  const isRaw = typeof event.data.event === 'string' && 'triggeredAt' in event.data;
  const testCase: FixtureCase = isRaw
    ? { name: 'explain', payload: event.data as FixtureCase['payload'] & object, expect: {} }
    : { name: 'explain', event: event.data as unknown as FixtureCase['event'] & object, expect: {} };
  const input = buildFactInput(testCase, 0, defaultFixtureNow);
  const computed = mergeFacts(computeFacts(load.snapshot, input), facts.data);
  const decision = await decide(
    load.snapshot,
    { ...computed.event, opportunityId: computed.candidate.opportunityId },
    computed,
  );
  io.stdout.write(options.json ? `${JSON.stringify(decision, null, 2)}\n` : formatDecision(io, decision));
  return exitCodes.ok;
}

export function formatDecision(io: CliIo, decision: Decision): string {
  const lines = [
    `${paint(io, 'bold', 'decision')} ${decision.id}  tenant ${decision.tenant}  config ${decision.configVersion}`,
    `event ${decision.event.type} (${decision.event.id})`,
    '',
    paint(io, 'bold', 'actions'),
    ...(decision.actions.length === 0
      ? ['  (none)']
      : decision.actions.map((action) => `  ${JSON.stringify(action)}`)),
    '',
    paint(io, 'bold', 'why'),
    ...decision.reasons.map((reason) => `  ${reason}`),
    '',
    paint(io, 'bold', 'rules'),
    ...decision.trace.flatMap(formatTrace).map((line) => `  ${line}`),
  ];
  return `${lines.join('\n')}\n`;
}
