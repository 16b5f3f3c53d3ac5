import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { checkSchema } from '../config/check-schema.js';
import { type Diagnostic, formatDiagnostic } from '../config/diagnostic.js';
import { loadTenant } from '../config/load-tenant.js';
import { createErrorReporter, readYaml, type YamlFile } from '../config/read-yaml.js';
import { suggestName } from '../config/suggest-name.js';
import type { TenantSnapshot } from '../config/types.js';
import { decide } from '../decide/decide.js';
import { concernsEvent, formatTrace } from '../decide/format-trace.js';
import type { Decision } from '../decide/types.js';
import { knownEventTypes } from '../kernel/facts.js';
import { buildFactInput, defaultFixtureNow, factsForCase } from '../rule-test/build-fact-input.js';
import { compareActions } from '../rule-test/compare-actions.js';
import { checkGivenFacts } from '../rule-test/given-facts.js';
import type { FixtureCase } from '../rule-test/types.js';
import { isLiveExplainEvent, type LiveExplanation, liveExplainEvents } from '../run/create-live-explain.js';
import type { DecisionRecord } from '../store/types.js';
import { callAdmin } from './admin/call-admin.js';
import { type CliIo, exitCodes, paint } from './io.js';
import { configDirs, loadPacks, readText, secretSources } from './load-config-files.js';

/**
 * `stagegate explain --tenant ID --event FILE [--facts FILE]`: one decision, its actions and the trace
 * of every rule, without calling anyone. The event file is a friendly event (as in a test case) or a
 * raw Lever webhook body; --facts gives facts as a test case's `facts:` does: what Lever would have
 * said (stage.name, candidate.tags, …) is used to derive the rest, and derived facts are set as given.
 */
export async function explainCommand(
  io: CliIo,
  options: {
    tenant?: string;
    event?: string;
    facts?: string;
    decision?: string;
    opportunity?: string;
    url?: string;
    json?: boolean;
    brief?: boolean;
    full?: boolean;
  },
): Promise<number> {
  if (options.brief === true && options.full === true) {
    io.stderr.write('--brief and --full do not go together: choose one\n');
    return exitCodes.invalid;
  }
  if (options.opportunity !== undefined) return explainLive(io, options.opportunity, options);
  if (options.decision !== undefined) return replayDecision(io, options.decision, options);
  if (options.tenant === undefined || options.event === undefined) {
    io.stderr.write('give --tenant ID --event FILE, --tenant ID --opportunity ID, or --decision ID\n');
    return exitCodes.invalid;
  }
  return explainEvent(io, { ...options, tenant: options.tenant, event: options.event });
}

async function explainEvent(
  io: CliIo,
  options: { tenant: string; event: string; facts?: string; json?: boolean } & TraceMode,
): Promise<number> {
  const display = (path: string) => relative(io.cwd, path) || path;
  const readData = (
    path: string,
    what: 'an event' | 'facts',
  ): { data?: Record<string, unknown>; error?: string } => {
    const absolute = resolve(io.cwd, path);
    const text = readText(absolute);
    if (text === undefined) {
      return {
        error: existsSync(absolute)
          ? `${path}: cannot read this file (not a regular file, or no permission)`
          : `${path}: no such file`,
      };
    }
    const yaml = readYaml(display(absolute), text);
    if (yaml.data === undefined || yaml.data === null || typeof yaml.data !== 'object') {
      return {
        error:
          yaml.diagnostics.map(formatDiagnostic).join('\n') ||
          `${path}: cannot read ${what} from this file (it needs to be a mapping, e.g. type: candidateStageChange)`,
      };
    }
    // Checked as a test case's event or facts are: a typo is an error here too, never a silent default.
    const problems =
      what === 'facts' ? checkGivenFacts(yaml.data, yaml, []) : [...yaml.diagnostics, ...checkEvent(yaml)];
    return problems.length > 0
      ? { error: problems.map(formatDiagnostic).join('\n') }
      : { data: yaml.data as Record<string, unknown> };
  };

  const snapshot = loadLocalTenant(io, options.tenant);
  if (!snapshot) return exitCodes.invalid;
  const event = readData(options.event, 'an event');
  const facts = options.facts ? readData(options.facts, 'facts') : { data: {} };
  if (!event.data || !facts.data) {
    io.stderr.write(`${event.error ?? facts.error}\n`);
    return exitCodes.invalid;
  }
  const isRaw = typeof event.data.event === 'string' && 'triggeredAt' in event.data;
  const testCase: FixtureCase = isRaw
    ? { name: 'explain', payload: event.data as FixtureCase['payload'] & object, expect: {} }
    : { name: 'explain', event: event.data as unknown as FixtureCase['event'] & object, expect: {} };
  const input = buildFactInput(testCase, 0, defaultFixtureNow);
  const computed = factsForCase(snapshot, input, facts.data);
  const decision = await decide(
    snapshot,
    { ...computed.event, opportunityId: computed.candidate.opportunityId },
    computed,
  );
  io.stdout.write(
    options.json ? `${JSON.stringify(decision, null, 2)}\n` : formatDecision(io, decision, options),
  );
  return exitCodes.ok;
}

/** How much of the trace to print: --brief none, --full every rule, else the rules for the event's type. */
interface TraceMode {
  brief?: boolean;
  full?: boolean;
}

/**
 * An event file as a test case's event is checked: a friendly event against the fixture schema's
 * `friendlyEvent`; a raw Lever body ({event, triggeredAt, data}) for a known event type and a
 * mapping of data.
 */
function checkEvent(yaml: YamlFile): Diagnostic[] {
  const data = yaml.data as Record<string, unknown>;
  if (!(typeof data.event === 'string' && 'triggeredAt' in data)) return checkSchema('event', yaml);
  const out: Diagnostic[] = [];
  const report = createErrorReporter(yaml, out);
  const known: readonly string[] = knownEventTypes;
  if (!known.includes(data.event)) {
    const guess = suggestName(data.event, known);
    report(
      'schema',
      ['event'],
      `'${data.event}' is not an event stagegate knows; use one of: ${known.join(', ')}`,
      guess ? `did you mean '${guess}'?` : undefined,
    );
  }
  if (typeof data.triggeredAt !== 'number') {
    report(
      'schema',
      ['triggeredAt'],
      'triggeredAt must be a number: milliseconds since 1970, as Lever sends it',
      'for example triggeredAt: 1767225600000',
    );
  }
  if (
    data.data !== undefined &&
    (data.data === null || typeof data.data !== 'object' || Array.isArray(data.data))
  ) {
    report('schema', ['data'], 'data must be a mapping', 'for example data: { opportunityId: o-1 }');
  }
  return out;
}

/** The tenant as the files here define it (secrets not needed), or undefined with the problems printed. */
function loadLocalTenant(io: CliIo, tenant: string): TenantSnapshot | undefined {
  const dirs = configDirs(io);
  const display = (path: string) => relative(io.cwd, path) || path;
  const tenantPath = join(dirs.tenantsDir, `${tenant}.yaml`);
  const text = readText(tenantPath);
  if (text === undefined) {
    io.stderr.write(`there is no tenant '${tenant}' (looked for ${display(tenantPath)})\n`);
    return undefined;
  }
  const packs = loadPacks(dirs.rulesDir, display);
  const load = loadTenant({
    file: display(tenantPath),
    text,
    findPack: (name) => packs.get(name),
    packNames: [...packs.keys()],
    secrets: secretSources(io),
    // Explaining sends nothing; `stagegate validate` checks the hosts.
    allowedHosts: 'unchecked',
  });
  for (const d of load.diagnostics.filter((x) => x.severity === 'error'))
    io.stderr.write(`${formatDiagnostic(d)}\n`);
  return load.snapshot ?? undefined;
}

/**
 * `stagegate explain --tenant ID --opportunity ID [--event TYPE]`: the running service reads the
 * candidate from Lever (it holds the tenant's key) and answers what its rules would do now, for a
 * move into the candidate's current stage or the event named. The service writes nothing.
 */
async function explainLive(
  io: CliIo,
  opportunityId: string,
  options: { tenant?: string; event?: string; facts?: string; url?: string; json?: boolean } & TraceMode,
): Promise<number> {
  if (options.tenant === undefined) {
    io.stderr.write('--opportunity goes with --tenant ID\n');
    return exitCodes.invalid;
  }
  if (options.facts !== undefined) {
    io.stderr.write('--facts does not go with --opportunity: the facts come from Lever\n');
    return exitCodes.invalid;
  }
  if (options.event !== undefined && !isLiveExplainEvent(options.event)) {
    io.stderr.write(
      `unknown event type '${options.event}': with --opportunity, --event is one of ${liveExplainEvents.join(', ')}\n`,
    );
    return exitCodes.invalid;
  }
  const answer = await callAdmin<LiveExplanation>(
    io,
    options,
    'POST',
    `/tenants/${encodeURIComponent(options.tenant)}/explain`,
    { opportunityId, ...(options.event === undefined ? {} : { event: options.event }) },
  );
  if (!answer.ok) return answer.code;
  const explanation = answer.body;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
    return exitCodes.ok;
  }
  io.stdout.write(
    `${paint(io, 'bold', 'live')}: opportunity ${explanation.opportunityId} of tenant ${explanation.tenant} as Lever has it now, for ${explanation.event}; nothing was written, no action ran\n\n`,
  );
  if ('skip' in explanation) {
    io.stdout.write(`the event would be skipped, no rule would run: ${explanation.skip}\n`);
  } else {
    io.stdout.write(formatDecision(io, explanation.decision, options));
  }
  return exitCodes.ok;
}

/**
 * `stagegate explain --decision ID`: a decision the service recorded (through its admin API), then
 * the same event and facts run again through the rules in the tenant files here, to show whether a
 * rule edit would have decided otherwise. Facts are replayed as recorded: an edit that changes how
 * facts are derived (a new default test, say) shows with `explain --event`, not here.
 */
async function replayDecision(
  io: CliIo,
  id: string,
  options: { url?: string; json?: boolean } & TraceMode,
): Promise<number> {
  const answer = await callAdmin<{ decision: DecisionRecord }>(
    io,
    options,
    'GET',
    `/decisions/${encodeURIComponent(id)}`,
  );
  if (!answer.ok) return answer.code;
  const recorded = answer.body.decision.decision as Decision;
  if (!recorded?.facts) {
    io.stderr.write(`decision ${id} keeps no facts (the candidate's data was purged)\n`);
    return exitCodes.failed;
  }
  const snapshot = loadLocalTenant(io, recorded.tenant);
  if (!snapshot) return exitCodes.invalid;
  const replayed = await decide(snapshot, recorded.event, recorded.facts);
  const diff = compareActions(recorded.actions, replayed.actions, { match: 'exact', ordered: true });
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ recorded, replayed, same: diff.length === 0 }, null, 2)}\n`);
    return exitCodes.ok;
  }
  io.stdout.write(formatDecision(io, recorded, options));
  io.stdout.write(
    `\n${paint(io, 'bold', 'replayed')} with the tenant files here (config ${replayed.configVersion}): `,
  );
  if (diff.length === 0) {
    io.stdout.write('the same actions\n');
  } else {
    io.stdout.write('different actions (- recorded, + now):\n');
    for (const line of diff) io.stdout.write(`  ${line}\n`);
    for (const line of replayed.trace.flatMap(formatTrace)) io.stdout.write(`  ${line}\n`);
  }
  return exitCodes.ok;
}

export function formatDecision(io: CliIo, decision: Decision, mode: TraceMode = { full: true }): string {
  const shown =
    mode.full === true
      ? decision.trace
      : decision.trace.filter((rule) => rule.fired || concernsEvent(rule, decision.event.type));
  const hidden = decision.trace.length - shown.length;
  const rules =
    mode.brief === true
      ? [`  fired: ${decision.fired.map((rule) => rule.name).join(', ') || '(none)'}`]
      : [
          ...shown.flatMap(formatTrace).map((line) => `  ${line}`),
          ...(hidden > 0
            ? [paint(io, 'dim', `  (${hidden} rules for other event types not shown; --full shows them)`)]
            : []),
        ];
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
    ...(decision.unread === undefined || decision.unread.length === 0
      ? []
      : [
          paint(
            io,
            'dim',
            `  (no rule read ${decision.unread.join(', ')}: not fetched from Lever, placeholders in the facts)`,
          ),
        ]),
    '',
    paint(io, 'bold', 'rules'),
    ...rules,
  ];
  return `${lines.join('\n')}\n`;
}
