import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { type RunningServer, startServer } from '../src/main.js';
import { testStoreEnv } from '../test/support/open-store.js';
import type { RecordedRequest } from '../test/support/simulated-http.js';
import { startStagegate } from '../test/support/start-stagegate.js';
import { startWorld, type World } from '../test/support/start-world.js';
import type { BenchResult } from './bench-result.js';

/**
 * Lever calls per invitation and per result, through the real server (startServer's pipeline, a
 * Lever simulator and a Greenhouse-partner vendor simulator): candidates with no status tag yet are
 * moved into the trigger stage (the webhook as Lever sends it, from Phone Screen), then each
 * completes at the vendor (its callback, then the vendor's test_status). Every Lever request in each
 * phase is counted, divided by the candidates: at 10 requests/s per key, that is what bounds a
 * tenant's throughput. The stage-name cache's one listStages per tenant is included (1/candidates).
 * Then 100 invitations at once in real time, beside the floor the rate limit sets.
 */
const candidates = 20;

interface Phase {
  perCandidate: number;
  byCall: string;
}

function phase(requests: readonly RecordedRequest[]): Phase {
  const counts = new Map<string, number>();
  for (const request of requests) {
    const call = `${request.method} ${request.path.replace(/\/opportunities\/[^/]+/, '/opportunities/:id')}`;
    counts.set(call, (counts.get(call) ?? 0) + 1);
  }
  return {
    perCandidate: requests.length / candidates,
    byCall: [...counts].map(([call, count]) => `${call} ×${count / candidates}`).join(', '),
  };
}

async function settle(server: RunningServer): Promise<void> {
  // The callback's check, and the decision after it, run in the background: idle until nothing is left.
  for (let i = 0; i < 3; i++) await server.idle();
}

export async function measureLeverCalls(): Promise<{ invitation: Phase; result: Phase }> {
  const world: World = await startWorld(['acme']);
  try {
    const ids = Array.from(
      { length: candidates },
      (_, i) =>
        world.lever.addOpportunity({
          name: `Candidate ${i}`,
          stageId: 'stage-tech',
          emails: [`candidate-${i}@example.com`],
        }).id,
    );
    const server = await startStagegate(world.root, { ...world.env, LOG_LEVEL: 'silent' });
    try {
      const start = world.lever.requests.length;
      for (const id of ids) {
        await world.lever.deliverWebhook({
          url: `${server.url}/webhooks/lever/acme`,
          event: 'candidateStageChange',
          data: { opportunityId: id, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
          signatureToken: world.env.ACME__TOKEN ?? '',
        });
      }
      await settle(server);
      const sent = world.lever.requests.length;
      const sends = world.vendor.sends();
      if (sends.length !== candidates) throw new Error(`lever-calls bench: ${sends.length} sends`);
      for (const [i, send] of sends.entries()) {
        await world.vendor.complete(send.partnerInterviewId, {
          score: i % 2 === 0 ? 85 : 20,
          profileUrl: `https://vendor.example/report/${i}`,
        });
      }
      await settle(server);
      const done = world.lever.requests.length;
      const completed = (await server.store.listInvitations({ tenant: 'acme' })).filter(
        (invitation) => invitation.status === 'completed',
      );
      if (completed.length !== candidates) throw new Error(`lever-calls bench: ${completed.length} results`);
      return {
        invitation: phase(world.lever.requests.slice(start, sent)),
        result: phase(world.lever.requests.slice(sent, done)),
      };
    } finally {
      await server.close();
    }
  } finally {
    await world.close();
  }
}

/** stagegate's own limit per Lever key (create-pipeline.ts): 9.6 requests/s, a burst of 9. */
const leverRate = 9.6;
const leverBurst = 9;

/**
 * Bulk invitations against the rate limit, in real time: `count` candidates moved into the trigger
 * stage at once, the real sleep and clock, stagegate's token bucket pacing every Lever call. The
 * floor is the time the bucket needs for the requests made: (requests - burst) / rate.
 */
export async function measureBulkInvitations(count: number): Promise<{ seconds: number; floor: number }> {
  const world: World = await startWorld(['acme']);
  try {
    const ids = Array.from(
      { length: count },
      (_, i) => world.lever.addOpportunity({ stageId: 'stage-tech', emails: [`bulk-${i}@example.com`] }).id,
    );
    const server = await startServer({
      cwd: world.root,
      env: {
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        ...testStoreEnv(world.root),
        STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
        ...world.env,
      },
      logDestination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    });
    try {
      const start = world.lever.requests.length;
      const started = performance.now();
      await Promise.all(
        ids.map((id) =>
          world.lever.deliverWebhook({
            url: `${server.url}/webhooks/lever/acme`,
            event: 'candidateStageChange',
            data: { opportunityId: id, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
            signatureToken: world.env.ACME__TOKEN ?? '',
          }),
        ),
      );
      const sent = (id: string) => world.lever.getOpportunity(id)?.tags.includes('Hired Assessments - Sent');
      while (!ids.every(sent)) await new Promise((resolve) => setTimeout(resolve, 10));
      const seconds = (performance.now() - started) / 1000;
      const requests = world.lever.requests.length - start;
      return { seconds, floor: Math.max(0, requests - leverBurst) / leverRate };
    } finally {
      await server.close();
    }
  } finally {
    await world.close();
  }
}

export async function benchLeverCalls(): Promise<BenchResult[]> {
  const { invitation, result } = await measureLeverCalls();
  const bulk = await measureBulkInvitations(100);
  return [
    {
      name: `Lever calls per invitation (${invitation.byCall})`,
      value: invitation.perCandidate,
      unit: 'calls',
      target: '2',
    },
    {
      name: `Lever calls per result (${result.byCall})`,
      value: result.perCandidate,
      unit: 'calls',
      target: '<= 4',
    },
    { name: '100 invitations at once: time until every Sent tag', value: bulk.seconds, unit: 's' },
    {
      name: '100 invitations at once: time / rate-limit floor ((requests - burst) / 9.6 per s)',
      value: bulk.seconds / bulk.floor,
      unit: '×',
      target: '<= 1.1',
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchLeverCalls()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`);
}
