import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/kernel/clock.js';
import { createLowdbStore } from '../src/store/lowdb/create-lowdb-store.js';
import { createSqliteStore } from '../src/store/sqlite/create-sqlite-store.js';
import type { Store } from '../src/store/types.js';
import type { BenchResult } from './bench-result.js';

// A Lever stage-change body is about a kilobyte.
const payload = {
  data: { opportunityId: 'opp', fromStageId: 'a', toStageId: 'b' },
  padding: 'x'.repeat(900),
};

const backends: [string, (dir: string) => Promise<Store>][] = [
  ['lowdb', (dir) => createLowdbStore({ dir, clock: systemClock })],
  ['sqlite', (dir) => createSqliteStore({ dir, clock: systemClock })],
];
// The store already holds `preload` deliveries: lowdb's cost grows with the file, SQLite's should not.
const scenarios = [
  { concurrency: 1, deliveries: 200, preload: 0 },
  { concurrency: 100, deliveries: 4000, preload: 0 },
  { concurrency: 100, deliveries: 2000, preload: 20000 },
];
const runs = 3;

/** Durable (fsynced) acceptDelivery throughput of the lowdb and the SQLite store, in one run: the median of a few. */
export async function benchStore(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const { concurrency, deliveries, preload } of scenarios) {
    for (const [backend, open] of backends) {
      const rates: number[] = [];
      for (let run = 0; run < runs; run += 1)
        rates.push(await measure(open, concurrency, deliveries, preload));
      results.push({
        name: `store.acceptDelivery ${backend} concurrency=${concurrency}${preload > 0 ? ` preload=${preload}` : ''}`,
        value: Math.round(median(rates)),
        unit: 'deliveries/s',
      });
    }
  }
  return results;
}

async function measure(
  open: (dir: string) => Promise<Store>,
  concurrency: number,
  deliveries: number,
  preload: number,
): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-bench-store-sqlite-'));
  const store = await open(dir);
  try {
    await accept(store, 'preload', 500, preload);
    const started = performance.now();
    await accept(store, 'token', concurrency, deliveries);
    return deliveries / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function accept(store: Store, prefix: string, concurrency: number, deliveries: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let n = next++; n < deliveries; n = next++) {
        await store.acceptDelivery({
          tenant: 'acme',
          token: `${prefix}-${n}`,
          event: 'candidateStageChange',
          triggeredAt: systemClock.now(),
          opportunityId: `opp-${n}`,
          payload,
        });
      }
    }),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const result of await benchStore()) console.log(`${result.name}: ${result.value} ${result.unit}`);
}
