// Three instances on one PostgreSQL database, killed with SIGKILL at random points and restarted.
// PostgreSQL only; the lowdb pass of `npm test` leaves it to the first pass.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testStoreKind } from '../support/open-store.js';
import { usePostgresDatabase } from '../support/postgres-test-database.js';
import { databaseUrlForDir } from '../support/schema-for-dir.js';
import { runClusterCrashScenario } from './cluster-crash-scenario.js';
import { adminToken, startChild } from './crash-scenario.js';
import { post, startWorld } from './world.js';

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

    it('fails a send in doubt on the instance that takes it over, when its own instance died waiting for the vendor', async () => {
      const world = await startWorld();
      try {
        world.lever.addOpportunity({ id: 'opp-slow', stageId: 'stage-tech' });
        // The vendor takes 3 s to answer a send; it carries it out all the same.
        world.vendor.fault({ method: 'POST', latencyMs: 3_000, times: 10 });
        const env = {
          ...world.env,
          STAGEGATE_STORE: 'postgres',
          DATABASE_URL: databaseUrlForDir(database?.url ?? '', join(world.root, 'data')),
          STAGEGATE_CLAIM_LEASE_SECONDS: '2',
        };
        const first = await startChild(world.root, env);
        const other = await startChild(world.root, env);
        try {
          const delivery = {
            token: 'stage-slow',
            kind: 'stage',
            opportunityId: 'opp-slow',
            triggeredAt: Date.now(),
          } as const;
          expect(await post(world.lever, first.url, 'acme', delivery)).toBe(202);
          const deadline = Date.now() + 20_000;
          while (!world.vendor.requests.some((request) => request.method === 'POST')) {
            if (Date.now() > deadline) throw new Error('the send never reached the vendor');
            await new Promise((done) => setTimeout(done, 20));
          }
          first.process.kill('SIGKILL');
          await first.exited;

          // The other instance takes the action back once the lease has run out, and fails it in doubt.
          const headers = { authorization: `Bearer ${adminToken}` };
          let send: { status: string; failureClass?: string; lastError?: string } | undefined;
          while (send?.status !== 'failed') {
            if (Date.now() > deadline)
              throw new Error(`the send was not taken over: ${JSON.stringify(send)}`);
            await new Promise((done) => setTimeout(done, 100));
            const answer = await fetch(`${other.url}/admin/actions?tenant=acme`, { headers });
            const { actions } = (await answer.json()) as {
              actions: {
                status: string;
                failureClass?: string;
                lastError?: string;
                action: { type: string };
              }[];
            };
            send = actions.find((action) => action.action.type === 'assessment.send');
          }
          expect(send).toMatchObject({
            failureClass: 'in-doubt',
            lastError: expect.stringMatching(/cannot tell/),
          });
          // The vendor got the one send the dead instance made, and no other.
          await new Promise((done) => setTimeout(done, 3_000));
          expect(world.vendor.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
          expect(world.vendor.sends()).toHaveLength(1);
        } finally {
          first.process.kill('SIGKILL');
          other.process.kill('SIGTERM');
          await Promise.all([first.exited, other.exited]);
        }
      } finally {
        await world.close();
      }
    }, 60_000);
  },
);
