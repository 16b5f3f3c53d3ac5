/**
 * `stagegate sim …`: acts on the simulators `npm run sim` runs (scripts/sim.ts), over the small JSON
 * API of its control port. The simulators themselves are test code and do not ship; this is only
 * their client, and the shapes below are the contract both sides use.
 */
import type { Command } from 'commander';
import { parseJson } from '../kernel/json.js';
import { defaultServiceUrl } from './admin/call-admin.js';
import { formatTable } from './admin/format-table.js';
import { type CliIo, exitCodes } from './io.js';

export const defaultSimUrl = 'http://127.0.0.1:4030';

/** A seeded candidate as Lever and the vendor simulators hold it. */
export interface SimCandidate {
  /** What `sim move` and `sim complete` take: the first name in lower case. */
  ref: string;
  opportunityId: string;
  name: string;
  email: string | null;
  stage: string;
  tags: string[];
  links: string[];
  notes: string[];
  invitations: SimInvitation[];
}

export interface SimInvitation {
  /** The vendor's id (partner_interview_id). */
  id: string;
  test: string;
  status: 'sent' | 'complete';
  score: number | null;
}

export interface SimMoved {
  candidate: SimCandidate;
  from: string;
  to: string;
  /** stagegate's answer to the signed candidateStageChange webhook. */
  webhookStatus: number;
}

export interface SimCompleted {
  candidate: SimCandidate;
  invitation: SimInvitation;
  /** stagegate's answer to the vendor's PATCH callback. */
  callbackStatus: number;
}

export interface SimEnv {
  env: Record<string, string>;
  exportLine: string;
}

/** Where the simulators' control API is: `--sim-url`, else STAGEGATE_SIM_URL, else the default. */
export interface SimTarget {
  simUrl?: string;
}

type SimAnswer<T> = { ok: true; body: T } | { ok: false; code: number };

async function callSim<T>(
  io: CliIo,
  target: SimTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<SimAnswer<T>> {
  const base = (target.simUrl ?? io.env.STAGEGATE_SIM_URL ?? defaultSimUrl).replace(/\/+$/, '');
  const fail = (code: number, message: string): SimAnswer<T> => {
    io.stderr.write(`${message}\n`);
    return { ok: false, code };
  };
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(40_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    return fail(
      exitCodes.invalid,
      `no simulator answers at ${base}${typeof cause === 'string' ? ` (${cause})` : ''}: start it with \`npm run sim\` in a checkout of stagegate, or give --sim-url`,
    );
  }
  const text = await response.text();
  const parsed = parseJson(text);
  if (parsed === undefined)
    return fail(exitCodes.failed, `the simulator at ${base} answered HTTP ${response.status} without JSON`);
  if (!response.ok) {
    const message = (parsed as { error?: unknown }).error;
    return fail(exitCodes.failed, typeof message === 'string' ? message : `HTTP ${response.status}`);
  }
  return { ok: true, body: parsed as T };
}

/** `stagegate sim move <candidate> <stage>`: Lever moves the candidate and sends the signed webhook. */
export async function simMoveCommand(
  io: CliIo,
  candidate: string,
  stage: string,
  options: SimTarget & { url?: string },
): Promise<number> {
  const stagegateUrl = (options.url ?? io.env.STAGEGATE_URL ?? defaultServiceUrl).replace(/\/+$/, '');
  const answer = await callSim<SimMoved>(
    io,
    options,
    'POST',
    `/candidates/${encodeURIComponent(candidate)}/move`,
    { stage, stagegateUrl },
  );
  if (!answer.ok) return answer.code;
  const { candidate: moved, from, to, webhookStatus } = answer.body;
  io.stdout.write(
    `${moved.name}: ${from} → ${to}; Lever sent candidateStageChange to ${stagegateUrl}, which answered ${webhookStatus}\n`,
  );
  if (webhookStatus >= 200 && webhookStatus < 300) {
    io.stdout.write('  see what stagegate did: npx stagegate sim list (a second or so later)\n');
    return exitCodes.ok;
  }
  io.stderr.write(`  ${webhookRefusal(webhookStatus)}\n`);
  return exitCodes.failed;
}

/** What stagegate's refusal of the simulator's webhook usually means, and what to do. */
function webhookRefusal(status: number): string {
  const restart =
    'start stagegate with the variables npm run sim printed (npx stagegate sim env), then move again';
  if (status === 503)
    return `stagegate has the demo tenant but it is not ready (a secret is not set): ${restart}`;
  if (status === 404)
    return `stagegate has no demo tenant loaded: run it from the checkout, whose tenants/ has demo.yaml, and ${restart}`;
  if (status === 401)
    return `stagegate refused the webhook's signature: DEMO__LEVER_STAGE_TOKEN is not the simulator's; ${restart}`;
  return `stagegate refused the webhook; its log says why (npx stagegate inbox list)`;
}

/** `stagegate sim complete <candidate> [--score N] [--test name]`: the vendor completes, then calls back. */
export async function simCompleteCommand(
  io: CliIo,
  candidate: string,
  options: SimTarget & { score?: string; test?: string },
): Promise<number> {
  const score = options.score === undefined ? null : Number(options.score);
  if (score !== null && (options.score?.trim() === '' || !Number.isFinite(score))) {
    io.stderr.write(`--score must be a number, e.g. --score 82; got '${options.score}'\n`);
    return exitCodes.invalid;
  }
  const answer = await callSim<SimCompleted>(
    io,
    options,
    'POST',
    `/candidates/${encodeURIComponent(candidate)}/complete`,
    { score, ...(options.test === undefined ? {} : { test: options.test }) },
  );
  if (!answer.ok) return answer.code;
  const { candidate: done, invitation, callbackStatus } = answer.body;
  io.stdout.write(
    `${done.name} completed ${invitation.test} (${invitation.id}) with score ${score ?? 'none'}; the vendor called stagegate back, which answered ${callbackStatus}\n` +
      `  see the tags and the note: npx stagegate sim list (a second or so later)\n`,
  );
  return callbackStatus >= 200 && callbackStatus < 300 ? exitCodes.ok : exitCodes.failed;
}

/** `stagegate sim list`: every candidate as Lever shows them, with their invitations at the vendor. */
export async function simListCommand(io: CliIo, options: SimTarget & { json?: boolean }): Promise<number> {
  const answer = await callSim<SimCandidate[]>(io, options, 'GET', '/candidates');
  if (!answer.ok) return answer.code;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
    return exitCodes.ok;
  }
  const rows = answer.body.map((c) => [
    c.ref,
    c.name,
    c.stage,
    c.tags.join(', ') || '-',
    c.invitations.map((i) => `${i.test} ${i.status}${i.score === null ? '' : ` ${i.score}`}`).join('; ') ||
      '-',
  ]);
  io.stdout.write(formatTable(['CANDIDATE', 'NAME', 'STAGE', 'TAGS (LEVER)', 'AT THE VENDOR'], rows));
  for (const c of answer.body) {
    for (const note of c.notes) io.stdout.write(`${c.ref} note: ${note.split('\n')[0]}\n`);
    for (const link of c.links) io.stdout.write(`${c.ref} link: ${link}\n`);
  }
  return exitCodes.ok;
}

/** `stagegate sim env`: the variables `npm start` needs, as one `export` line (`eval "$(stagegate sim env)"`). */
export async function simEnvCommand(io: CliIo, options: SimTarget): Promise<number> {
  const answer = await callSim<SimEnv>(io, options, 'GET', '/env');
  if (!answer.ok) return answer.code;
  io.stdout.write(`${answer.body.exportLine}\n`);
  return exitCodes.ok;
}

/** `stagegate sim move | complete | list | env`. */
export function registerSimCommands(program: Command, io: CliIo, setCode: (code: number) => void): void {
  const simUrl = [
    '--sim-url <url>',
    'the simulators of `npm run sim` (default: $STAGEGATE_SIM_URL or http://127.0.0.1:4030)',
  ] as const;
  const sim = program
    .command('sim')
    .description(
      'act on the Lever and vendor simulators `npm run sim` runs: move a candidate, complete an assessment',
    );
  sim
    .command('move')
    .description(
      'move a candidate to a stage in the Lever simulator, which sends stagegate the signed webhook',
    )
    .argument('<candidate>', 'a seeded candidate: ada, grace, linus or alan (see `sim list`)')
    .argument('<stage>', 'the stage name, e.g. "Technical Screen"')
    .option('--url <url>', 'where stagegate runs (default: $STAGEGATE_URL or http://127.0.0.1:8080)')
    .option(...simUrl)
    .action(async (candidate: string, stage: string, options: { url?: string; simUrl?: string }) => {
      setCode(await simMoveCommand(io, candidate, stage, options));
    });
  sim
    .command('complete')
    .description(
      'the candidate finishes their assessment at the vendor simulator, which calls stagegate back',
    )
    .argument('<candidate>', 'a candidate stagegate sent an assessment to')
    .option('--score <score>', 'the score (default: none, which needs review)')
    .option('--test <name>', 'which of their assessments, when there are several open')
    .option(...simUrl)
    .action(async (candidate: string, options: { score?: string; test?: string; simUrl?: string }) => {
      setCode(await simCompleteCommand(io, candidate, options));
    });
  sim
    .command('list')
    .description(
      'the candidates as the Lever simulator shows them (stage, tags, notes, links) and their assessments',
    )
    .option('--json', 'print them as JSON')
    .option(...simUrl)
    .action(async (options: { json?: boolean; simUrl?: string }) => {
      setCode(await simListCommand(io, options));
    });
  sim
    .command('env')
    .description('print the variables stagegate needs for the simulators, as one export line')
    .option(...simUrl)
    .action(async (options: { simUrl?: string }) => {
      setCode(await simEnvCommand(io, options));
    });
}
