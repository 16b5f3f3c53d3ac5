import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCandidateTimeline } from '../src/admin/candidate-timeline.js';
import { createManualClock } from '../src/kernel/clock.js';
import { createSqliteStore } from '../src/store/sqlite/create-sqlite-store.js';
import type { Store } from '../src/store/types.js';
import type { BenchResult } from './bench-result.js';

// A year of retention at a busy tenant: 100,000 decisions, two to three per candidate, each with its
// delivery and two actions, and a decision about the size of a real one (facts and a trace).
const decisions = 100_000;
const opportunities = 40_000;
const lookups = 500;
const decisionBody = { fired: [{ name: 'send-selected-test', priority: 50 }], trace: 'x'.repeat(2_000) };
const emailOf = (n: number) => `Candidate.${n}@Example.com`;

/**
 * The candidate timeline on SQLite with 100,000 decisions stored: one lookup by opportunity id
 * (findCandidate and the timeline built from it) and one by e-mail (findOpportunitiesByEmail, then
 * the timeline); the median and p95 of `lookups` random candidates, in milliseconds.
 */
export async function benchTimeline(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-bench-timeline-'));
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const store = await createSqliteStore({
    dir,
    clock,
    retention: { decisionsMs: 365 * 24 * 3600 * 1000 },
    // The fill commits in batches of many writes, as a busy service's do.
    commitIntervalMs: 10,
  });
  try {
    await fill(store, clock);
    const byId: number[] = [];
    const byEmail: number[] = [];
    for (let n = 0; n < lookups; n += 1) {
      const candidate = (n * 7_919) % opportunities;
      let started = performance.now();
      const records = await store.findCandidate('acme', `opp-${candidate}`);
      if (records === undefined) throw new Error(`opp-${candidate} not found`);
      buildCandidateTimeline('acme', `opp-${candidate}`, records);
      byId.push(performance.now() - started);

      started = performance.now();
      const [found] = await store.findOpportunitiesByEmail('acme', emailOf(candidate).toLowerCase());
      const again = found === undefined ? undefined : await store.findCandidate('acme', found);
      if (again === undefined) throw new Error(`${emailOf(candidate)} not found`);
      buildCandidateTimeline('acme', found ?? '', again);
      byEmail.push(performance.now() - started);
    }
    return [
      ...figures('candidate timeline by opportunity id, sqlite, 100,000 decisions', byId),
      ...figures('candidate timeline by e-mail, sqlite, 100,000 decisions', byEmail),
    ];
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Through the Store API, as the inbox worker writes them: a delivery, then its decision and actions. */
async function fill(store: Store, clock: ReturnType<typeof createManualClock>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 1_000 }, async () => {
      for (let n = next++; n < decisions; n = next++) {
        const candidate = n % opportunities;
        const opportunityId = `opp-${candidate}`;
        const { item } = await store.acceptDelivery({
          tenant: 'acme',
          token: `token-${n}`,
          event: 'candidateStageChange',
          triggeredAt: clock.now(),
          opportunityId,
          payload: { data: { opportunityId, toStageId: 'stage-tech' } },
        });
        const id = `dec-${n}`;
        await store.completeInbox(item.id, {
          decision: {
            id,
            tenant: 'acme',
            opportunityId,
            inboxId: item.id,
            createdAt: clock.now(),
            decision: decisionBody,
            email: emailOf(candidate),
          },
          actions: [0, 1].map((index) => ({
            id: `${id}:${index}`,
            tenant: 'acme',
            opportunityId,
            decisionId: id,
            index,
            action: { type: index === 0 ? 'assessment.send' : 'lever.addTags' },
            status: 'done' as const,
            attempts: 1,
            nextAttemptAt: clock.now(),
            createdAt: clock.now(),
            updatedAt: clock.now(),
          })),
        });
        clock.advance(300_000);
      }
    }),
  );
}

function figures(name: string, samples: number[]): BenchResult[] {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
  return [
    { name: `${name} (median)`, value: at(0.5), unit: 'ms' },
    { name: `${name} (p95)`, value: at(0.95), unit: 'ms', target: '< 100 ms' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const result of await benchTimeline())
    console.log(`${result.name}: ${result.value.toFixed(2)} ${result.unit}`);
}
