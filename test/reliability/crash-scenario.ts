/**
 * The crash scenario, shared by crash.test.ts and the soak script: the real server as a child
 * process, killed with SIGKILL at random points while Lever delivers, restarted on the same data
 * directory each time, and then checked for lost and duplicated effects.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Store } from '../../src/store/types.js';
import { openStore, testStoreEnv } from '../support/open-store.js';
import {
  type Delivery,
  emailOf,
  errorTag,
  post,
  sendsByEmail,
  sentTag,
  startWorld,
  type World,
} from './world.js';

export interface CrashScenarioOptions {
  crashes: number;
  opportunities?: number;
  /** Seeds the scenario's own randomness (kill points, order); printed with the figures. */
  seed?: number;
  log?: (line: string) => void;
}

export interface CrashFigures {
  seed: number;
  crashes: number;
  opportunities: number;
  /** Deliveries posted, redeliveries and re-sends after a crash included. */
  posted: number;
  /** Distinct deliveries that got a 2xx. */
  acknowledged: number;
  /** Posts that got no answer (the server was down or died mid-request) and were sent again. */
  resent: number;
  /** Candidates with exactly one invitation at the vendor and the Sent tag. */
  sent: number;
  /** Candidates archived in Lever from the start: nothing may be sent to them. */
  archived: number;
  /**
   * Interrupted sends whose candidate was hired before anyone looked: the invitation is cancelled,
   * there is nothing left to resolve, and the candidate keeps the Error tag and the note.
   */
  interruptedThenCancelled: number;
  /**
   * Sends a crash cut in half: failed by design with a note, then resolved as the note asks (the
   * operator checks at the vendor); and how many of those the vendor did have.
   */
  interrupted: number;
  interruptedButReceived: number;
  lost: number;
  duplicated: number;
  /** Notes that a candidate got more than once (the same text twice). */
  duplicatedNotes: number;
  /** What went wrong, per candidate, when lost or duplicated is not 0 (or a delivery was refused). */
  problems: string[];
  /** Candidates whose final tags differ from one clean run (Sent, or Error for an interrupted send). */
  tagProblems: string[];
}

const repoRoot = resolve(import.meta.dirname, '../..');
export const adminToken = 'crash-admin-token-33d1-long-enough-to-serve';

/** A small deterministic generator (mulberry32), so a failing seed can be replayed. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Child {
  process: ChildProcess;
  url: string;
  exited: Promise<void>;
}

export async function startChild(root: string, env: Record<string, string>): Promise<Child> {
  const built = join(repoRoot, 'dist/src/main.js');
  const args = existsSync(built) ? [built] : ['--import', 'tsx', join(repoRoot, 'src/main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      STAGEGATE_ADMIN_TOKEN: adminToken,
      ...testStoreEnv(root),
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
      STAGEGATE_CALLBACK_SECRET: 'crash-callback-secret',
      // A retry after a transient failure is due in a second, not 30 s later.
      STAGEGATE_RETRY_SCHEDULE: '1s,1s,1s,1s,1s',
      // The Lever simulator does not rate-limit here (the bucket has its own tests and benchmark);
      // at Lever's 9.6/s the final drain alone took 15-20 s. At 50/s the work still spans the crashes.
      STAGEGATE_LEVER_RATE: '50',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => {
    child.once('exit', () => done());
    child.once('error', () => done()); // spawn failed: there will be no exit
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((done, fail) => {
    let buffered = '';
    // A child that neither listens nor exits would hang the test: fail with what it printed.
    const startup = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`stagegate did not listen within 30 s; stdout: ${buffered}; stderr: ${stderr}`));
    }, 30_000);
    void exited.then(() => clearTimeout(startup));
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /stagegate listening on (http:\/\/[^\s"]+)/.exec(buffered);
      if (match?.[1] !== undefined) {
        clearTimeout(startup);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        done(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then(() => fail(new Error(`stagegate exited before listening: ${stderr}`)));
  });
  return { process: child, url, exited };
}

/** Waits until no delivery waits for its decision and no action is pending or running. */
export async function drained(url: string, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const status = await adminStatus(url);
    if (Date.now() > deadline)
      throw new Error(`still busy after ${withinMs / 1000} s: ${JSON.stringify(status)}`);
    const busy = status.inbox.pending + (status.actions.pending ?? 0) + (status.actions.running ?? 0);
    if (busy === 0) return;
    await new Promise((done) => setTimeout(done, 50));
  }
}

/**
 * For each send a crash cut in half, checks at the vendor (simulator) and answers through the admin
 * API as an operator would: `--at-vendor <id>` when the vendor has it, `--not-at-vendor` when not.
 */
export async function resolveInterruptedSends(
  url: string,
  vendor: World['vendor'],
): Promise<{ atVendor: number; notAtVendor: number; cancelledSince: number }> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const listed = await fetch(`${url}/admin/actions?tenant=acme&status=failed`, { headers });
  const { actions } = (await listed.json()) as {
    actions: { id: string; opportunityId: string; action: { type: string }; lastError?: string }[];
  };
  const counts = { atVendor: 0, notAtVendor: 0, cancelledSince: 0 };
  for (const failed of actions) {
    if (failed.action.type !== 'assessment.send' || !/cannot tell/.test(failed.lastError ?? '')) continue;
    const email = emailOf(failed.opportunityId);
    const send = vendor.sends().find((s) => (s.body.candidate as { email?: string }).email === email);
    const body = send ? { atVendor: send.partnerInterviewId } : { notAtVendor: true };
    const answer = await fetch(`${url}/admin/actions/${encodeURIComponent(failed.id)}/retry`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    const text = await answer.text();
    if (answer.status === 409 && /is cancelled/.test(text)) {
      // The candidate was hired or archived since: the invitation is cancelled, nothing to resolve.
      counts.cancelledSince += 1;
      continue;
    }
    if (!answer.ok) throw new Error(`retry ${failed.id} ${JSON.stringify(body)}: ${text}`);
    counts[send ? 'atVendor' : 'notAtVendor'] += 1;
  }
  return counts;
}

async function adminStatus(url: string): Promise<{
  inbox: { pending: number };
  actions: Record<string, number>;
}> {
  const response = await fetch(`${url}/admin/status`, { headers: { authorization: `Bearer ${adminToken}` } });
  return (await response.json()) as { inbox: { pending: number }; actions: Record<string, number> };
}

/**
 * The candidates (about a third archived in Lever from the start) and the deliveries Lever will
 * post for them, shuffled: five per candidate, a move into the trigger stage (and two
 * redeliveries of it), a hire, and an archive (or a redelivered hire when Lever has the candidate
 * unarchived).
 */
export function planDeliveries(
  world: World,
  count: number,
  random: () => number,
): { ids: string[]; archived: Set<string>; queue: Delivery[] } {
  const ids = Array.from({ length: count }, (_, n) => `opp-${n}`);
  const archived = new Set(ids.filter(() => random() < 0.3));
  for (const id of ids) {
    world.lever.addOpportunity({
      id,
      stageId: 'stage-tech',
      archived: archived.has(id) ? { reason: 'reason-hired-elsewhere', archivedAt: Date.now() } : null,
    });
  }
  const now = Date.now();
  const queue: Delivery[] = ids.flatMap((opportunityId) => {
    const make = (kind: Delivery['kind']): Delivery => ({
      token: `${kind}-${opportunityId}`,
      kind,
      opportunityId,
      triggeredAt: now,
    });
    const stage = make('stage');
    const hired = make('hired');
    return [stage, stage, stage, hired, archived.has(opportunityId) ? make('archived') : hired];
  });
  for (let i = queue.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [queue[i], queue[j]] = [queue[j] as Delivery, queue[i] as Delivery];
  }
  return { ids, archived, queue };
}

/**
 * Checks the outcome against one clean run, per candidate: exactly one invitation at the vendor and
 * recorded here (or none for one archived from the start, or a cut-off send left cancelled by the
 * hire), final tags as after one clean run, and no note twice.
 */
export async function judgeOutcome(input: {
  world: World;
  store: Store;
  ids: readonly string[];
  archived: ReadonlySet<string>;
  figures: CrashFigures;
}): Promise<void> {
  const { world, store, ids, archived, figures } = input;
  const sends = sendsByEmail(world.vendor);
  const failedSends = (await store.listActions({ tenant: 'acme', status: 'failed' })).filter(
    (a) => (a.action as { type: string }).type === 'assessment.send',
  );
  const cancelledSince: string[] = [];
  for (const id of ids) {
    const atVendor = sends.get(emailOf(id)) ?? [];
    const tags = world.lever.getOpportunity(id)?.tags ?? [];
    const invitations = await store.listInvitations({ tenant: 'acme', opportunityId: id });
    const failed = failedSends.find((a) => a.opportunityId === id);
    const notes = world.lever.notes(id).map((note) => note.value);
    const twice = notes.filter((value, n) => notes.indexOf(value) !== n);
    if (twice.length > 0) {
      figures.duplicatedNotes += twice.length;
      figures.problems.push(`${id}: the same note ${twice.length + 1} times: ${twice[0]?.slice(0, 80)}`);
    }
    if (archived.has(id)) {
      // Archived in Lever before it all began: out of the process, so nothing is sent.
      figures.archived += 1;
      if (atVendor.length > 0 || invitations.length > 0) {
        figures.duplicated += atVendor.length > 1 ? 1 : 0;
        figures.problems.push(
          `${id}: archived, yet ${atVendor.length} sends, ${invitations.length} invitations`,
        );
      }
      if (tags.length > 0) figures.tagProblems.push(`${id}: archived, but tagged ${tags.join()}`);
    } else if (atVendor.length > 1 || invitations.length > 1) {
      figures.duplicated += 1;
      figures.problems.push(`${id}: ${atVendor.length} sends, ${invitations.length} invitations`);
    } else if (invitations[0]?.vendorInvitationId !== undefined && atVendor.length === 1) {
      figures.sent += 1;
      if (tags.join() !== sentTag) figures.tagProblems.push(`${id}: sent, but tagged ${tags.join()}`);
    } else if (
      invitations[0]?.status === 'cancelled' &&
      failed !== undefined &&
      /cannot tell/.test(failed.lastError ?? '')
    ) {
      cancelledSince.push(id);
      if (tags.join() !== errorTag) {
        figures.tagProblems.push(`${id}: interrupted, then hired, but tagged ${tags.join()}`);
      }
    } else {
      figures.lost += 1;
      figures.problems.push(
        `${id}: lost (${atVendor.length} sends, invitation ${invitations[0]?.status ?? 'none'}, send ${failed?.lastError ?? 'not failed'})`,
      );
    }
  }
  if (cancelledSince.length !== figures.interruptedThenCancelled) {
    figures.problems.push(
      `interrupted, then cancelled: ${cancelledSince.join(', ')}; the operator found ${figures.interruptedThenCancelled}`,
    );
  }
}

export async function runCrashScenario(options: CrashScenarioOptions): Promise<CrashFigures> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = createRandom(seed);
  const log = options.log ?? (() => {});
  const count = options.opportunities ?? 40;
  const world = await startWorld();
  const { ids, archived, queue } = planDeliveries(world, count, random);

  const figures: CrashFigures = {
    seed,
    crashes: 0,
    opportunities: count,
    posted: 0,
    acknowledged: 0,
    resent: 0,
    sent: 0,
    archived: 0,
    interruptedThenCancelled: 0,
    interrupted: 0,
    interruptedButReceived: 0,
    lost: 0,
    duplicated: 0,
    duplicatedNotes: 0,
    problems: [],
    tagProblems: [],
  };
  const acknowledged = new Set<string>();
  const postAll = async (url: string, alive: () => boolean) => {
    // Six posts in flight, as Lever's workers would; a post that gets no answer goes back in the queue.
    const worker = async () => {
      while (alive()) {
        const delivery = queue.shift();
        if (delivery === undefined) return;
        figures.posted += 1;
        const status = await post(world.lever, url, 'acme', delivery);
        if (status !== null && status >= 200 && status < 300) acknowledged.add(delivery.token);
        else if (status !== null && status < 500) {
          // A refusal is final for Lever too; it is a finding, not something to resend.
          figures.problems.push(`${delivery.token}: answered ${status}`);
        } else {
          figures.resent += 1;
          queue.push(delivery);
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
  };

  try {
    for (let crash = 0; crash < options.crashes; crash++) {
      log(`crash ${crash + 1}: starting stagegate`);
      const child = await startChild(world.root, world.env);
      log(`crash ${crash + 1}: listening on ${child.url}`);
      let alive = true;
      // Kill points: during intake while deliveries remain, then during the executor's sends.
      const killAfterMs = Math.floor(random() * (queue.length > 0 ? 250 : 120));
      const killed = new Promise<void>((done) =>
        setTimeout(() => {
          alive = false;
          child.process.kill('SIGKILL');
          done();
        }, killAfterMs),
      );
      await Promise.all([postAll(child.url, () => alive), killed]);
      log(`crash ${crash + 1}: killed; waiting for the process to exit`);
      await child.exited;
      figures.crashes += 1;
      log(`crash ${crash + 1}/${options.crashes} after ${killAfterMs} ms; ${queue.length} deliveries left`);
    }

    const child = await startChild(world.root, world.env);
    log(`restarted for the last time; ${queue.length} deliveries left`);
    try {
      for (let round = 0; queue.length > 0; round++) {
        if (round > 20) throw new Error(`${queue.length} deliveries never acknowledged`);
        await postAll(child.url, () => true);
      }
      log('every delivery acknowledged; waiting for the inbox and the actions to drain');
      await drained(child.url);
      // What the note on each interrupted candidate asks a person to do: check at the vendor, then
      // record the invitation it has, or send it when it has none.
      const resolved = await resolveInterruptedSends(child.url, world.vendor);
      figures.interrupted = resolved.atVendor + resolved.notAtVendor + resolved.cancelledSince;
      figures.interruptedButReceived = resolved.atVendor;
      figures.interruptedThenCancelled = resolved.cancelledSince;
      log(`drained; ${figures.interrupted} interrupted sends resolved as an operator would`);
      await drained(child.url);
    } finally {
      child.process.kill('SIGTERM');
      await child.exited;
    }

    figures.acknowledged = acknowledged.size;
    const store = await openStore(join(world.root, 'data'));
    try {
      await judgeOutcome({ world, store, ids, archived, figures });
    } finally {
      await store.close();
    }
    return figures;
  } finally {
    await world.close();
  }
}
