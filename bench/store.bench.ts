import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/kernel/clock.js';
import { createLowdbStore } from '../src/store/lowdb/create-lowdb-store.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

// A Lever stage-change body is about a kilobyte.
const payload = {
  data: { opportunityId: 'opp', fromStageId: 'a', toStageId: 'b' },
  padding: 'x'.repeat(900),
};

const scenarios = [
  { concurrency: 1, deliveries: 200 },
  { concurrency: 100, deliveries: 4000 },
];
const runs = 3;

/** acceptDelivery throughput of the lowdb store, with fsync on and off: the median of a few runs each. */
export async function benchStore(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const fsync of [true, false]) {
    for (const { concurrency, deliveries } of scenarios) {
      const rates: number[] = [];
      for (let run = 0; run < runs; run += 1) rates.push(await measure(fsync, concurrency, deliveries));
      results.push({
        name: `store.acceptDelivery fsync=${fsync ? 'on' : 'off'} concurrency=${concurrency}`,
        value: Math.round(median(rates)),
        unit: 'deliveries/s',
      });
    }
  }
  return results;
}

async function measure(fsync: boolean, concurrency: number, deliveries: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-bench-store-'));
  const store = await createLowdbStore({ dir, clock: systemClock, fsync });
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let n = next++; n < deliveries; n = next++) {
          await store.acceptDelivery({
            tenant: 'acme',
            token: `token-${n}`,
            event: 'candidateStageChange',
            triggeredAt: systemClock.now(),
            opportunityId: `opp-${n}`,
            payload,
          });
        }
      }),
    );
    return deliveries / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
