// A rolling deploy on PostgreSQL: two instances on one database, each with its own tenant files,
// hold different versions of acme's file (the new one changes the trigger's default test).
// Deliveries reach both; each decision records the version it was made with, none is lost or made
// twice, and either instance accepts the callback URLs the other handed out (one callback secret).
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyBucket } from '../../src/lever/create-lever-transport.js';
import { usePostgresDatabase } from '../support/postgres-test-database.js';
import { databaseUrlForDir } from '../support/schema-for-dir.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const database = await usePostgresDatabase('rolling-deploy.test.ts');

let world: World;
let newRoot: string;

beforeEach(async () => {
  world = await startWorld();
  newRoot = `${world.root}-v2`;
  await cp(world.root, newRoot, { recursive: true });
});

afterEach(async () => {
  await world.close();
  await rm(newRoot, { recursive: true, force: true });
});

interface StoredDecision {
  opportunityId: string;
  decision: { configVersion: string; actions: { type: string; testName?: string }[] };
}

describe.skipIf(database === undefined)(
  'a rolling deploy: two instances, two versions of a tenant file',
  () => {
    it('decides each delivery once, with the version of the instance that took it, and loses none', async () => {
      // v2 sends React instead of Python to whoever reaches Technical Screen.
      const file = join(newRoot, 'tenants', 'acme.yaml');
      const v1 = await readFile(file, 'utf8');
      const v2 = v1.replace('defaultTest: "Backend - Python"', 'defaultTest: "Frontend - React"');
      expect(v2).not.toBe(v1);
      await writeFile(file, v2);

      // One schema for both: the tables are the same, wherever each instance keeps its data directory.
      const url = databaseUrlForDir(database?.url ?? '', join(world.root, 'data'));
      const env = { ...world.env, STAGEGATE_STORE: 'postgres', DATABASE_URL: url };
      const old = await startStagegate(world.root, env);
      const next = await startStagegate(newRoot, env);
      try {
        const candidates = Array.from({ length: 6 }, (_, n) =>
          world.lever.addOpportunity({
            name: `Candidate ${n}`,
            stageId: 'stage-tech',
            emails: [`c${n}@example.com`],
          }),
        );
        const deliver = (server: { url: string }, n: number) =>
          world.lever.deliverWebhook({
            url: `${server.url}/webhooks/lever/acme`,
            event: 'candidateStageChange',
            data: {
              opportunityId: candidates[n]?.id ?? '',
              toStageId: 'stage-tech',
              fromStageId: 'stage-phone',
            },
            signatureToken: world.env.ACME__TOKEN ?? '',
            token: `delivery-${n}`,
          });
        // Candidates 0-2 reach the old instance, 3-5 the new; Lever's retries of 0 and 3 reach the other one.
        const statuses = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => deliver(n < 3 ? old : next, n)));
        expect(statuses.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202, 202]);
        await Promise.all([old.idle(), next.idle()]);
        const retries = [await deliver(next, 0), await deliver(old, 3)];
        expect(retries.map((answer) => answer.status)).toEqual([200, 200]);
        await Promise.all([old.idle(), next.idle()]);

        const decisions = (await old.store.listDecisions({ tenant: 'acme' })) as unknown as StoredDecision[];
        expect(decisions).toHaveLength(6);
        const versionOf = (n: number) =>
          decisions.find((d) => d.opportunityId === candidates[n]?.id)?.decision.configVersion;
        const [oldVersion, newVersion] = [versionOf(0), versionOf(3)];
        expect(oldVersion).toBeDefined();
        expect(newVersion).toBeDefined();
        expect(newVersion).not.toBe(oldVersion);
        expect([0, 1, 2, 3, 4, 5].map(versionOf)).toEqual([
          oldVersion,
          oldVersion,
          oldVersion,
          newVersion,
          newVersion,
          newVersion,
        ]);

        // One invitation per candidate, with the test of the version that decided it.
        const sends = world.vendor.sends();
        expect(sends).toHaveLength(6);
        const testOf = (n: number) =>
          sends
            .filter((send) => (send.body.candidate as { email?: string }).email === `c${n}@example.com`)
            .map((send) => send.body.partner_test_id);
        expect([0, 1, 2, 3, 4, 5].map(testOf)).toEqual([
          ['sandbox-python'],
          ['sandbox-python'],
          ['sandbox-python'],
          ['sandbox-react'],
          ['sandbox-react'],
          ['sandbox-react'],
        ]);
        for (const candidate of candidates) {
          expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual(['Hired Assessments - Sent']);
        }

        // The callback secret is the database's: a URL the old instance handed out works at the new one.
        const [first] = sends;
        const callbackUrl = String(first?.body.url ?? '');
        const base = callbackUrl.startsWith(old.url) ? old.url : next.url;
        const other = base === old.url ? next.url : old.url;
        expect(callbackUrl.startsWith(base)).toBe(true);
        const atOther = await fetch(callbackUrl.replace(base, other), { method: 'PATCH' });
        expect(atOther.status).toBe(202);
        const forged = await fetch(`${callbackUrl.replace(base, other).slice(0, -4)}0000`, {
          method: 'PATCH',
        });
        expect(forged.status).toBe(404);
        await Promise.all([old.idle(), next.idle()]);

        // Both instances spent one Lever budget for acme's key: one row, named by the key's hash.
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        try {
          const { rows } = await admin.query<{ key: string }>('SELECT key FROM lever_rate_buckets');
          expect(rows.map((row) => row.key)).toEqual([apiKeyBucket(world.env.ACME__LEVER_API_KEY ?? '')]);
        } finally {
          await admin.end();
        }
      } finally {
        await old.close();
        await next.close();
      }
    });
  },
);
