// Three instances on one PostgreSQL database, killed with SIGKILL at random points and restarted.
// PostgreSQL only; the lowdb pass of `npm test` leaves it to the first pass.
import { describe, expect, it } from 'vitest';
import { testStoreKind } from '../support/open-store.js';
import { usePostgresDatabase } from '../support/postgres-test-database.js';
import { runClusterCrashScenario } from './cluster-crash-scenario.js';

const instances = 3;
const kills = 20;
const opportunities = 40;
const database = testStoreKind === 'lowdb' ? undefined : await usePostgresDatabase('cluster-crash.test.ts');

describe.skipIf(database === undefined)(
  'cluster crash: three instances on one database, SIGKILLed at random points and restarted',
  () => {
    it('gives every acknowledged delivery its effect exactly once, whichever instance took it', async ({
      onTestFailed,
    }) => {
      const started = Date.now();
      const progress: string[] = [];
      onTestFailed(() => console.error(progress.join('\n')));
      const figures = await runClusterCrashScenario({
        databaseUrl: database?.url ?? '',
        instances,
        kills,
        opportunities,
        log: (line) => progress.push(`+${Date.now() - started} ms: ${line}`),
      });
      console.info(`cluster crash: ${JSON.stringify(figures)}`);
      expect(figures.crashes).toBe(kills);
      expect({
        lost: figures.lost,
        duplicated: figures.duplicated,
        duplicatedNotes: figures.duplicatedNotes,
        problems: figures.problems,
      }).toEqual({ lost: 0, duplicated: 0, duplicatedNotes: 0, problems: [] });
      expect(figures.tagProblems).toEqual([]);
      expect(figures.sent + figures.archived + figures.interruptedThenCancelled).toBe(opportunities);
      // The deliveries were spread: every instance acknowledged some, and some went to two.
      expect(figures.acknowledgedBy.every((n) => n > 0)).toBe(true);
      expect(figures.redeliveredElsewhere).toBeGreaterThan(0);
    }, 180_000);
  },
);
