/**
 * The crash scenario, many times over: `node --import tsx test/reliability/soak.ts 300` kills and
 * restarts the server 300 times (in rounds of 20 over fresh candidates) and exits non-zero on the
 * first lost or duplicated effect, printing the seed to replay it with.
 */
import { runCrashScenario } from './crash-scenario.js';

const crashes = Number(process.argv[2] ?? '300');
if (!Number.isInteger(crashes) || crashes < 1) {
  process.stderr.write('usage: soak.ts <crashes>\n');
  process.exit(2);
}
const verbose = process.argv.includes('--verbose');
const total = { crashes: 0, posted: 0, acknowledged: 0, resent: 0, interrupted: 0, lost: 0, duplicated: 0 };
for (let round = 1; total.crashes < crashes; round++) {
  const figures = await runCrashScenario({
    crashes: Math.min(20, crashes - total.crashes),
    ...(verbose ? { log: (line: string) => process.stdout.write(`  ${line}\n`) } : {}),
  });
  for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += figures[key];
  process.stdout.write(
    `round ${round} (seed ${figures.seed}): ${figures.crashes} crashes, ${figures.acknowledged} acknowledged, ` +
      `${figures.interrupted} interrupted, lost ${figures.lost}, duplicated ${figures.duplicated}\n`,
  );
  if (figures.tagProblems.length > 0)
    process.stdout.write(`  tag problems: ${figures.tagProblems.join('; ')}\n`);
  if (figures.problems.length > 0) {
    process.stderr.write(`${figures.problems.join('\n')}\nreplay with seed ${figures.seed}\n`);
    process.exit(1);
  }
}
process.stdout.write(`soak: ${JSON.stringify(total)}\n`);
