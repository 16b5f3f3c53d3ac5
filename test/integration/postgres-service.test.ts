// The real service on PostgreSQL (STAGEGATE_STORE=postgres): one delivery from Lever's webhook to
// the vendor's callback and back to Lever, every record in the database.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kernel/clock.js';
import { createPostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { usePostgresDatabase } from '../support/postgres-test-database.js';
import { databaseUrlForDir } from '../support/schema-for-dir.js';
import { startStagegate } from '../support/start-stagegate.js';
import { startWorld, type World } from '../support/start-world.js';

const database = await usePostgresDatabase('postgres-service.test.ts');
// Trust authentication ignores it; it stands for the password a real DATABASE_URL carries.
const password = 'pw-never-logged-5d1e';

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(() => world.close());

describe.skipIf(database === undefined)('the service on PostgreSQL', () => {
  it('takes a delivery once, sends the test, and records the vendor result, all in the database', async () => {
    const withPassword = new URL(database?.url ?? '');
    withPassword.password = password;
    const url = databaseUrlForDir(withPassword.toString(), join(world.root, 'data'));
    const candidate = world.lever.addOpportunity({
      name: 'Ada Lovelace',
      stageId: 'stage-tech',
      emails: ['ada@example.com'],
    });
    const server = await startStagegate(world.root, {
      ...world.env,
      STAGEGATE_STORE: 'postgres',
      DATABASE_URL: url,
    });
    try {
      const deliver = () =>
        world.lever.deliverWebhook({
          url: `${server.url}/webhooks/lever/acme`,
          event: 'candidateStageChange',
          data: { opportunityId: candidate.id, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
          signatureToken: world.env.ACME__TOKEN ?? '',
          token: 'delivery-1',
        });
      const [first, again] = [await deliver(), await deliver()];
      expect([first.status, again.status]).toEqual([202, 200]);
      await server.idle();

      const sends = world.vendor.sends();
      expect(sends).toHaveLength(1);
      expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual(['Hired Assessments - Sent']);
      const callback = await world.vendor.complete(sends[0]?.partnerInterviewId ?? '', {
        score: 85,
        profileUrl: 'https://vendor.example/report/1',
      });
      expect(callback).toBe(202);
      await server.idle();
      await server.idle(); // the check after the callback runs in the background
      expect(world.lever.getOpportunity(candidate.id)?.tags).toEqual(['Hired Assessments - Pass']);
    } finally {
      await server.close();
    }

    // Another process on the same database sees what the service committed.
    const store = await createPostgresStore({ url, clock: systemClock });
    try {
      expect(await store.listInvitations({ tenant: 'acme' })).toEqual([
        expect.objectContaining({ status: 'completed', score: 85, opportunityId: candidate.id }),
      ]);
      const [item] = await store.listDecisions({ tenant: 'acme', opportunityId: candidate.id });
      expect(item).toBeDefined();
      expect((await store.listActions({ tenant: 'acme', status: 'pending' })).length).toBe(0);
    } finally {
      await store.close();
    }
    expect(server.lines.some((line) => line.includes('store opened on PostgreSQL'))).toBe(true);
    expect(server.lines.filter((line) => line.includes(password))).toEqual([]);
  });

  it('refuses to start on a database it cannot reach, naming it without the password', async () => {
    const error = await startStagegate(world.root, {
      ...world.env,
      STAGEGATE_STORE: 'postgres',
      DATABASE_URL: `postgres://stagegate:${password}@127.0.0.1:1/nowhere`,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_FAILED' });
    expect((error as Error).message).toContain('postgres://stagegate@127.0.0.1:1/nowhere');
    expect((error as Error).message).not.toContain(password);
  });
});
