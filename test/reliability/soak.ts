/**
 * The crash scenario, many times over: `node --import tsx test/reliability/soak.ts 300` kills and
 * restarts the server 300 times (in rounds of 20 over fresh candidates) and exits non-zero on the
 * first lost or duplicated effect, printing the seed to replay it with.
 *
 * `--instances 3` runs the cluster scenario instead: that many instances on one PostgreSQL
 * database (a new one on STAGEGATE_TEST_POSTGRES_URL, else 127.0.0.1:5432, dropped at the end),
 * 300 kills in all. `--seed <n>` replays a round a failure printed.
 */
import { describeDatabase } from '../../src/store/postgres/create-postgres-store.js';
import { createTestDatabase, postgresAdminUrl, postgresProblem } from '../support/create-test-database.js';
import { runClusterCrashScenario } from './cluster-crash-scenario.js';
import { type CrashFigures, runCrashScenario } from './crash-scenario.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const instances = Number(option('--instances') ?? '1');
const crashes = Number(args.find((arg, n) => /^\d+$/.test(arg) && !args[n - 1]?.startsWith('--')) ?? '300');
if (!Number.isInteger(crashes) || crashes < 1 || !Number.isInteger(instances) || instances < 1) {
  process.stderr.write('usage: soak.ts <crashes> [--instances <n> (PostgreSQL)] [--seed <n>] [--verbose]\n');
  process.exit(2);
}
const verbose = args.includes('--verbose');
const log = verbose ? { log: (line: string) => process.stdout.write(`  ${line}\n`) } : {};

let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
if (instances > 1) {
  const problem = await postgresProblem();
  if (problem !== undefined) {
    process.stderr.write(
      `--instances needs PostgreSQL at ${describeDatabase(postgresAdminUrl)}: ${problem}\n`,
    );
    process.exit(2);
  }
  database = await createTestDatabase();
}
// --seed replays a round: the first one runs with it.
let seed = option('--seed') === undefined ? undefined : Number(option('--seed'));
const round = (kills: number): Promise<CrashFigures> => {
  const seeded = seed === undefined ? {} : { seed };
  seed = undefined;
  return database === undefined
    ? runCrashScenario({ crashes: kills, ...seeded, ...log })
    : runClusterCrashScenario({ databaseUrl: database.url, instances, kills, ...seeded, ...log });
};

const total = {
  crashes: 0,
  posted: 0,
  acknowledged: 0,
  resent: 0,
  interrupted: 0,
  lost: 0,
  duplicated: 0,
  duplicatedNotes: 0,
};
const started = Date.now();
let failed = false;
try {
  for (let n = 1; total.crashes < crashes; n++) {
    const figures = await round(Math.min(20, crashes - total.crashes));
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += figures[key];
    process.stdout.write(
      `round ${n} (seed ${figures.seed}): ${figures.crashes} crashes${instances > 1 ? ` over ${instances} instances` : ''}, ` +
        `${figures.acknowledged} acknowledged, ${figures.interrupted} interrupted, lost ${figures.lost}, ` +
        `duplicated ${figures.duplicated}, notes twice ${figures.duplicatedNotes}\n`,
    );
    if (figures.tagProblems.length > 0)
      process.stdout.write(`  tag problems: ${figures.tagProblems.join('; ')}\n`);
    if (figures.problems.length > 0) {
      process.stderr.write(`${figures.problems.join('\n')}\nreplay with seed ${figures.seed}\n`);
      failed = true;
      break;
    }
  }
} finally {
  await database?.drop();
}
if (failed) process.exit(1);
process.stdout.write(
  `soak: ${JSON.stringify({ ...total, instances, seconds: Math.round((Date.now() - started) / 1000) })}\n`,
);
