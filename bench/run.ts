import { cpus, totalmem } from 'node:os';
import type { BenchResult } from './bench-result.js';
import { benchConfig } from './config.bench.js';
import { benchConsole } from './console.bench.js';
import { benchDecide } from './decide.bench.js';
import { benchExecutor } from './executor.bench.js';
import { benchIntake } from './intake.bench.js';
import { benchLeverCalls } from './lever-calls.bench.js';
import { benchPostgres } from './postgres.bench.js';
import { benchStore } from './store.bench.js';
import { benchTimeline } from './timeline.bench.js';

/** `npm run bench`: every benchmark in one run, printed as a markdown table with the machine it ran on. */
const suites: [string, () => Promise<BenchResult[]>][] = [
  ['config', benchConfig],
  ['decide', benchDecide],
  ['store', benchStore],
  ['timeline', benchTimeline],
  ['console', benchConsole],
  ['intake', benchIntake],
  ['executor', benchExecutor],
  // Lever calls per invitation and per result, through the whole pipeline.
  ['lever-calls', benchLeverCalls],
  // PostgreSQL beside SQLite, three instances on one Lever key, round trips; skipped without PostgreSQL.
  ['postgres', benchPostgres],
];

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `Machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`,
);
console.log('| benchmark | median | unit | target |');
console.log('| --- | ---: | --- | --- |');
for (const [suite, run] of suites) {
  const only = process.argv[2];
  if (only && only !== suite) continue;
  for (const result of await run()) {
    const value =
      result.value >= 100 ? Math.round(result.value).toLocaleString('en-US') : result.value.toFixed(1);
    console.log(`| ${result.name} | ${value} | ${result.unit} | ${result.target ?? ''} |`);
  }
}
