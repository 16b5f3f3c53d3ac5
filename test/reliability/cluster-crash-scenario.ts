/**
 * The crash scenario on a cluster: several instances of the real server as child processes on one
 * PostgreSQL database, Lever's deliveries spread over them (a redelivery often lands on another
 * instance), and instances SIGKILLed at random points and restarted while the others carry on.
 * Shared by cluster-crash.test.ts and the soak script (`npm run soak -- 100 --instances 3`).
 */
import { join } from 'node:path';
import { systemClock } from '../../src/kernel/clock.js';
import { createPostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { databaseUrlForDir } from '../support/schema-for-dir.js';
import {
  type Child,
  type CrashFigures,
  createRandom,
  drained,
  judgeOutcome,
  planDeliveries,
  resolveInterruptedSends,
  startChild,
} from './crash-scenario.js';
import { type Delivery, post, startWorld } from './world.js';

export interface ClusterCrashOptions {
  /** A database the scenario may fill: each run puts its tables in a schema of its own. */
  databaseUrl: string;
  instances: number;
  kills: number;
  opportunities?: number;
  seed?: number;
  /** STAGEGATE_CLAIM_LEASE_SECONDS of the instances: how long a killed one's work waits. */
  leaseSeconds?: number;
  log?: (line: string) => void;
}

export interface ClusterCrashFigures extends CrashFigures {
  instances: number;
  /** Acknowledged deliveries posted again to another instance, as a Lever retry would be. */
  redeliveredElsewhere: number;
  /** Acknowledged deliveries each instance took (first posts only), by instance slot. */
  acknowledgedBy: number[];
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export async function runClusterCrashScenario(options: ClusterCrashOptions): Promise<ClusterCrashFigures> {
  const started = Date.now();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = createRandom(seed);
  const log = options.log ?? (() => {});
  const count = options.opportunities ?? 40;
  const world = await startWorld();
  const { ids, archived, queue } = planDeliveries(world, count, random);
  // A send takes a moment at the vendor, so kills land mid-send: the vendor still acts on a send
  // whose instance died waiting, and another instance must not send it again.
  world.vendor.fault({ method: 'POST', latencyMs: 400, times: 1_000_000 });
  const databaseUrl = databaseUrlForDir(options.databaseUrl, join(world.root, 'data'));
  const env = {
    ...world.env,
    STAGEGATE_STORE: 'postgres',
    DATABASE_URL: databaseUrl,
    STAGEGATE_CLAIM_LEASE_SECONDS: String(options.leaseSeconds ?? 4),
  };
  const figures: ClusterCrashFigures = {
    seed,
    instances: options.instances,
    crashes: 0,
    opportunities: count,
    posted: 0,
    acknowledged: 0,
    resent: 0,
    redeliveredElsewhere: 0,
    acknowledgedBy: Array.from({ length: options.instances }, () => 0),
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
    elapsedMs: 0,
  };
  const acknowledged = new Set<string>();
  // A slot is null while its instance is being killed and restarted: nothing is posted to it.
  const slots: (Child | null)[] = [];
  const live = () => slots.flatMap((child, slot) => (child === null ? [] : [{ child, slot }]));
  const pick = (not?: number) => {
    const choices = live().filter(({ slot }) => slot !== not);
    return choices[Math.floor(random() * choices.length)];
  };
  let killing = true;

  /** Lever's six workers: each post to a random live instance, about 12 posts a second in all. */
  const poster = async () => {
    for (;;) {
      const delivery = queue.shift();
      if (delivery === undefined) {
        if (!killing) return;
        await sleep(20);
        continue;
      }
      await sleep(random() * 500);
      const target = pick();
      if (target === undefined) {
        queue.push(delivery);
        continue;
      }
      figures.posted += 1;
      const status = await post(world.lever, target.child.url, 'acme', delivery);
      if (status !== null && status >= 200 && status < 300) {
        if (!acknowledged.has(delivery.token))
          figures.acknowledgedBy[target.slot] = (figures.acknowledgedBy[target.slot] ?? 0) + 1;
        acknowledged.add(delivery.token);
        if (random() < 0.25) await redeliverElsewhere(delivery, target.slot);
      } else if (status !== null && status < 500) {
        figures.problems.push(`${delivery.token}: answered ${status}`);
      } else {
        figures.resent += 1;
        queue.push(delivery);
      }
    }
  };
  /** A Lever retry of an acknowledged delivery, landing on another instance: a duplicate there. */
  const redeliverElsewhere = async (delivery: Delivery, slot: number) => {
    const other = pick(slot);
    if (other === undefined) return;
    figures.posted += 1;
    const status = await post(world.lever, other.child.url, 'acme', delivery);
    if (status === 200) figures.redeliveredElsewhere += 1;
    else if (status !== null && status < 500)
      figures.problems.push(`${delivery.token}: redelivered to another instance, answered ${status}`);
  };

  const killer = async () => {
    for (let kill = 1; kill <= options.kills; kill++) {
      // During intake while deliveries remain, then during the executor's work.
      await sleep(random() * (queue.length > 0 ? 600 : 300));
      const slot = Math.floor(random() * options.instances);
      const child = slots[slot];
      if (child == null) continue;
      slots[slot] = null;
      child.process.kill('SIGKILL');
      await child.exited;
      figures.crashes += 1;
      log(`kill ${kill}/${options.kills}: instance ${slot}; ${queue.length} deliveries left`);
      slots[slot] = await startChild(world.root, env);
    }
    killing = false;
  };

  try {
    try {
      // The first instance migrates; the others find the schema there.
      for (let slot = 0; slot < options.instances; slot++) slots.push(await startChild(world.root, env));
      log(`${options.instances} instances listening`);
      await Promise.all([killer(), ...Array.from({ length: 6 }, poster)]);
      for (let round = 0; queue.length > 0; round++) {
        if (round > 20) throw new Error(`${queue.length} deliveries never acknowledged`);
        await Promise.all(Array.from({ length: 6 }, poster));
      }
      const url = live()[0]?.child.url ?? '';
      log('every delivery acknowledged; waiting for the inbox and the actions to drain');
      // The last killed instance's claims run out first (the lease), then another takes its work.
      await drained(url, 60_000);
      const resolved = await resolveInterruptedSends(url, world.vendor);
      figures.interrupted = resolved.atVendor + resolved.notAtVendor + resolved.cancelledSince;
      figures.interruptedButReceived = resolved.atVendor;
      figures.interruptedThenCancelled = resolved.cancelledSince;
      log(`drained; ${figures.interrupted} interrupted sends resolved as an operator would`);
      await drained(url, 60_000);
    } finally {
      killing = false;
      await Promise.all(
        live().map(async ({ child }) => {
          child.process.kill('SIGTERM');
          await child.exited;
        }),
      );
    }
    figures.acknowledged = acknowledged.size;
    const store = await createPostgresStore({ url: databaseUrl, clock: systemClock });
    try {
      await judgeOutcome({ world, store, ids, archived, figures });
    } finally {
      await store.close();
    }
    figures.elapsedMs = Date.now() - started;
    return figures;
  } finally {
    await world.close();
  }
}
