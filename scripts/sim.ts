/**
 * `npm run sim`: a Lever and an assessment vendor to try stagegate by hand. The two simulators the
 * tests use (test/support), on fixed loopback ports that tenants/demo.yaml names, with four seeded
 * candidates, and a control port that `stagegate sim move | complete | list | env` talks to. It
 * prints the one line of variables `npm start` needs; stagegate runs on its own, as in production.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type { SimCandidate, SimCompleted, SimEnv, SimInvitation, SimMoved } from '../src/cli/sim-command.js';
import { isRecord } from '../src/kernel/json.js';
import { type LeverSimulator, startLeverSimulator } from '../test/support/lever-simulator.js';
import { startVendorSimulator, type VendorSimulator } from '../test/support/vendor-simulator.js';

/** The ports tenants/demo.yaml names (Lever, vendor), and the one `stagegate sim` calls by default. */
export const simPorts = { lever: 4010, vendor: 4020, control: 4030 } as const;
export const simTenant = 'demo';
/** Made-up keys the simulators accept: nothing real is behind them. */
export const simSecrets = {
  DEMO__LEVER_API_KEY: 'sim-lever-key',
  DEMO__LEVER_STAGE_TOKEN: 'sim-webhook-signature-token',
  DEMO__VENDOR_KEY: 'sim-vendor-key',
} as const;

const stages = [
  { id: 'stage-phone', text: 'Phone Screen' },
  { id: 'stage-tech', text: 'Technical Screen' },
  { id: 'stage-onsite', text: 'On-site Interview' },
] as const;
const tests = [
  { id: 'sandbox-python', name: 'Backend - Python' },
  { id: 'sandbox-react', name: 'Frontend - React' },
] as const;
/** Who shows what: the default test, a tag override, a hold for two test tags, no e-mail. */
export const simCandidates = [
  {
    ref: 'ada',
    name: 'Ada Lovelace',
    emails: ['ada@example.com'],
    tags: [],
    shows: "no tag: the stage's default test",
  },
  {
    ref: 'grace',
    name: 'Grace Hopper',
    emails: ['grace@example.com'],
    tags: ['Frontend - React'],
    shows: 'tagged Frontend - React: that test instead',
  },
  {
    ref: 'linus',
    name: 'Linus Torvalds',
    emails: ['linus@example.com'],
    tags: ['Backend - Python', 'Frontend - React'],
    shows: 'two test tags: held for a person',
  },
  { ref: 'alan', name: 'Alan Turing', emails: [], tags: [], shows: 'no e-mail: an Error tag and a note' },
] as const;

export interface SimOptions {
  /** Each port, 0 for a free one (tests); the fixed ones above by default. */
  ports?: Partial<Record<keyof typeof simPorts, number>>;
  /** The port `npm start` will listen on, for the variables printed; 8080 by default. */
  stagegatePort?: number;
  /** Where `npm start` keeps its store: fresh for each run, as the simulators start empty each time. */
  dataDir: string;
  /** Lever's per-key rate limit, on real time; tests turn it off (stagegate's own limiter waits on their clock). */
  leverRateLimit?: false;
}

export interface Sim {
  lever: LeverSimulator;
  vendor: VendorSimulator;
  controlUrl: string;
  /** What `npm start` needs, by name, and as one line to paste. */
  env: SimEnv;
  close(): Promise<void>;
}

class SimRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startSim(options: SimOptions): Promise<Sim> {
  const ports = { ...simPorts, ...options.ports };
  const lever = await startLeverSimulator({
    apiKeys: [simSecrets.DEMO__LEVER_API_KEY],
    port: ports.lever,
    ...(options.leverRateLimit === false ? { rateLimit: false } : {}),
  });
  let vendor: VendorSimulator | undefined;
  try {
    vendor = await startVendorSimulator({
      apiKeys: [simSecrets.DEMO__VENDOR_KEY],
      tests,
      port: ports.vendor,
    });
    for (const stage of stages) lever.addStage(stage);
    for (const seed of simCandidates) {
      lever.addOpportunity({
        id: `opp-${seed.ref}`,
        name: seed.name,
        emails: [...seed.emails],
        tags: [...seed.tags],
        stageId: 'stage-phone',
      });
    }
    const control = await startControl(lever, vendor, ports.control, environment(options));
    const running = vendor;
    return {
      lever,
      vendor,
      controlUrl: control.url,
      env: control.env,
      async close() {
        await Promise.all([control.close(), lever.close(), running.close()]);
      },
    };
  } catch (error) {
    await Promise.all([lever.close(), vendor?.close()]);
    throw error;
  }
}

function environment(options: SimOptions): SimEnv {
  const url = `http://127.0.0.1:${options.stagegatePort ?? 8080}`;
  const env: Record<string, string> = {
    ...simSecrets,
    HOST: '127.0.0.1',
    PORT: String(options.stagegatePort ?? 8080),
    // Both simulators are on loopback: the operator (here, this script) allows it.
    STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
    // Where the vendor simulator calls back; plain http is accepted to loopback only.
    STAGEGATE_PUBLIC_URL: url,
    STAGEGATE_URL: url,
    // Fresh for each run, like the admin token: the simulators forget everything when they stop.
    STAGEGATE_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    STAGEGATE_DATA_DIR: options.dataDir,
  };
  const quote = (value: string) =>
    /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
  const exportLine = `export ${Object.entries(env)
    .map(([name, value]) => `${name}=${quote(value)}`)
    .join(' ')}`;
  return { env, exportLine };
}

async function startControl(
  lever: LeverSimulator,
  vendor: VendorSimulator,
  port: number,
  env: SimEnv,
): Promise<{ url: string; env: SimEnv; close(): Promise<void> }> {
  /** Vendor invitations completed, by id, with their score. */
  const completed = new Map<string, number | null>();
  const testName = (id: unknown) => tests.find((test) => test.id === id)?.name ?? String(id);
  const stageName = (id: unknown) => stages.find((stage) => stage.id === id)?.text ?? String(id);

  const view = (seed: (typeof simCandidates)[number]): SimCandidate => {
    const opportunity = lever.getOpportunity(`opp-${seed.ref}`);
    const email = seed.emails[0] ?? null;
    const invitations: SimInvitation[] = vendor
      .sends()
      .filter((send) => email !== null && (send.body.candidate as { email?: unknown }).email === email)
      .map((send) => ({
        id: send.partnerInterviewId,
        test: testName(send.body.partner_test_id),
        status: completed.has(send.partnerInterviewId) ? 'complete' : 'sent',
        score: completed.get(send.partnerInterviewId) ?? null,
      }));
    return {
      ref: seed.ref,
      opportunityId: `opp-${seed.ref}`,
      name: seed.name,
      email,
      stage: stageName(opportunity?.stage),
      tags: opportunity?.tags ?? [],
      links: opportunity?.links ?? [],
      notes: lever.notes(`opp-${seed.ref}`).map((note) => note.value),
      invitations,
    };
  };

  const find = (ref: string) => {
    const wanted = ref.trim().toLowerCase();
    const seed = simCandidates.find(
      (c) =>
        c.ref === wanted ||
        c.name.toLowerCase() === wanted ||
        `opp-${c.ref}` === wanted ||
        c.emails.some((email) => email === wanted),
    );
    if (seed === undefined) {
      throw new SimRefusal(
        404,
        `no candidate '${ref}' in the simulator: it has ${simCandidates.map((c) => c.ref).join(', ')} (stagegate sim list)`,
      );
    }
    return seed;
  };

  async function move(ref: string, body: Record<string, unknown>): Promise<SimMoved> {
    const seed = find(ref);
    const wanted = String(body.stage ?? '')
      .trim()
      .toLowerCase();
    const stage = stages.find((s) => s.text.toLowerCase() === wanted || s.id === wanted);
    if (stage === undefined) {
      throw new SimRefusal(
        400,
        `no stage '${String(body.stage)}' in the Lever simulator: it has ${stages.map((s) => `"${s.text}"`).join(', ')}`,
      );
    }
    const stagegateUrl = String(body.stagegateUrl ?? '');
    const fromId = String(lever.getOpportunity(`opp-${seed.ref}`)?.stage ?? '');
    if (fromId === stage.id) {
      throw new SimRefusal(
        409,
        `${seed.name} is at ${stage.text} already; Lever sends no webhook for that (move them elsewhere first)`,
      );
    }
    // As a recruiter would: the stage changes in Lever first, then Lever sends the webhook.
    await setStage(seed.ref, stage.id);
    let webhookStatus: number;
    try {
      const result = await lever.deliverWebhook({
        url: `${stagegateUrl}/webhooks/lever/${simTenant}`,
        event: 'candidateStageChange',
        data: { opportunityId: `opp-${seed.ref}`, fromStageId: fromId, toStageId: stage.id },
        signatureToken: simSecrets.DEMO__LEVER_STAGE_TOKEN,
      });
      webhookStatus = result.status;
    } catch (error) {
      // Nobody heard it: put the candidate back, so the same move can be tried again.
      await setStage(seed.ref, fromId);
      throw new SimRefusal(
        502,
        `stagegate does not answer at ${stagegateUrl} (${causeOf(error)}): start it with the variables npm run sim printed (npx stagegate sim env), then move again; ${seed.name} stays at ${stageName(fromId)}`,
      );
    }
    return { candidate: view(seed), from: stageName(fromId), to: stage.text, webhookStatus };
  }

  /** Through Lever's own API, with the tenant's key: the simulator's state changes as Lever's would. */
  async function setStage(ref: string, stageId: string): Promise<void> {
    const response = await fetch(`${lever.baseUrl}/opportunities/opp-${ref}/stage`, {
      method: 'PUT',
      headers: {
        authorization: `Basic ${Buffer.from(`${simSecrets.DEMO__LEVER_API_KEY}:`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ stage: stageId }),
    });
    if (!response.ok)
      throw new SimRefusal(502, `the Lever simulator refused the move: ${await response.text()}`);
  }

  async function complete(ref: string, body: Record<string, unknown>): Promise<SimCompleted> {
    const seed = find(ref);
    const score = body.score === null || body.score === undefined ? null : Number(body.score);
    if (score !== null && !Number.isFinite(score))
      throw new SimRefusal(400, 'score must be a number or null');
    const test = typeof body.test === 'string' ? body.test.trim().toLowerCase() : undefined;
    const candidate = view(seed);
    const open = candidate.invitations.filter(
      (i) => i.status === 'sent' && (test === undefined || i.test.toLowerCase() === test),
    );
    const invitation = open.at(-1);
    if (invitation === undefined) {
      const first = seed.name.split(' ')[0];
      throw new SimRefusal(
        409,
        candidate.invitations.length === 0
          ? `the vendor has sent ${first} nothing: an assessment goes out when a candidate reaches a trigger stage (npx stagegate sim move ${seed.ref} "Technical Screen"); if they are there, npx stagegate sim list shows the note that says why not`
          : `${first} has no open invitation${test === undefined ? '' : ` for ${String(body.test)}`} at the vendor: ${candidate.invitations.map((i) => `${i.test} ${i.status}`).join(', ')}`,
      );
    }
    let callbackStatus: number;
    try {
      // The vendor PATCHes the callback URL stagegate gave with the invitation; stagegate then asks it.
      callbackStatus = await vendor.complete(invitation.id, { score });
    } catch (error) {
      throw new SimRefusal(
        502,
        `the vendor marked ${invitation.id} complete, but stagegate did not answer its callback (${causeOf(error)}); start stagegate and complete again, or its poller asks the vendor within the hour`,
      );
    }
    completed.set(invitation.id, score);
    return {
      candidate: view(seed),
      invitation: { ...invitation, status: 'complete', score },
      callbackStatus,
    };
  }

  async function answer(req: IncomingMessage): Promise<unknown> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [resource, ref, action, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && url.pathname === '/candidates') return simCandidates.map(view);
    if (req.method === 'GET' && url.pathname === '/env') return env;
    if (req.method === 'POST' && resource === 'candidates' && ref !== undefined && rest.length === 0) {
      const body = await readJson(req);
      if (action === 'move') return move(ref, body);
      if (action === 'complete') return complete(ref, body);
    }
    throw new SimRefusal(404, `no route for ${req.method} ${url.pathname}`);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    answer(req).then(
      (body) => send(res, 200, body),
      (error: unknown) =>
        error instanceof SimRefusal
          ? send(res, error.status, { error: error.message })
          : send(res, 500, { error: String(error) }),
    );
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolvePromise());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    env,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    if (isRecord(parsed)) return parsed;
  } catch {
    // answered below
  }
  throw new SimRefusal(400, 'the body must be a JSON object');
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  if (typeof cause === 'string') return cause;
  return error instanceof Error ? error.message : String(error);
}

/** Whether tenants/demo.yaml names these simulators: a warning line for each URL that differs. */
export function checkDemoTenant(text: string, sim: Pick<Sim, 'lever' | 'vendor'>): string[] {
  const tenant = parse(text) as { lever?: { baseUrl?: unknown }; provider?: { baseUrl?: unknown } };
  const warnings: string[] = [];
  if (tenant.lever?.baseUrl !== sim.lever.baseUrl)
    warnings.push(
      `lever.baseUrl is ${String(tenant.lever?.baseUrl)}, the Lever simulator is at ${sim.lever.baseUrl}`,
    );
  if (tenant.provider?.baseUrl !== sim.vendor.baseUrl)
    warnings.push(
      `provider.baseUrl is ${String(tenant.provider?.baseUrl)}, the vendor simulator is at ${sim.vendor.baseUrl}`,
    );
  return warnings;
}

async function main(): Promise<number> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const repoRoot = resolve(import.meta.dirname, '..');
  const dataDir = await mkdtemp(join(tmpdir(), 'stagegate-sim-'));
  let sim: Sim;
  try {
    sim = await startSim({ dataDir });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `a port the simulators need (${Object.values(simPorts).join(', ')}) is taken: is npm run sim running in another terminal already?\n`
        : `the simulators did not start: ${causeOf(error)}\n`,
    );
    return 1;
  }
  const tenantFile = join(repoRoot, 'tenants', `${simTenant}.yaml`);
  out(`stagegate simulators for the tenant ${simTenant} (tenants/${simTenant}.yaml)`);
  out(`  Lever     ${sim.lever.baseUrl}   stages: ${stages.map((s) => s.text).join(', ')}`);
  out(
    `  vendor    ${sim.vendor.baseUrl}  tests: ${tests.map((t) => t.name).join(', ')} (Greenhouse partner protocol)`,
  );
  out(`  control   ${sim.controlUrl}         for npx stagegate sim …`);
  for (const warning of checkDemoTenant(readFileSync(tenantFile, 'utf8'), sim))
    out(`  warning: tenants/${simTenant}.yaml ${warning}`);
  out();
  out('Candidates, all at Phone Screen:');
  for (const c of simCandidates) out(`  ${c.ref.padEnd(6)} ${c.name.padEnd(15)} ${c.shows}`);
  out();
  out('1. In another terminal, in this directory, start stagegate with these variables:');
  out();
  out(`   ${sim.env.exportLine} && npm start`);
  out();
  out('2. In a third terminal (eval "$(npx stagegate sim env)" sets the same variables there):');
  out('   npx stagegate sim move ada "Technical Screen"     Lever sends stagegate the signed webhook');
  out('   npx stagegate sim list                            stages, tags, notes, assessments');
  out('   npx stagegate sim complete ada --score 82         the vendor calls stagegate back');
  out('   npx stagegate candidate ada@example.com --tenant demo   what stagegate did, and why');
  out();
  out(`Each run starts empty (stagegate's store: ${dataDir}). Ctrl-C stops the simulators.`);
  const stop = new Promise<void>((resolvePromise) => {
    process.once('SIGINT', () => resolvePromise());
    process.once('SIGTERM', () => resolvePromise());
  });
  await stop;
  await sim.close();
  out('simulators stopped');
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
