// PostgreSQL goes away under a running instance and comes back: on a private cluster of this file's
// own (test/support/private-postgres.ts), stopped as by a crash (`pg_ctl -m immediate`) while a send
// is at the vendor and restarted. Readiness drops meanwhile, no webhook is acknowledged that is not
// committed, and once the database is back the instance reconnects and finishes the work, each
// candidate with one invitation at most.
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kernel/clock.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { createPostgresStore } from '../../src/store/postgres/create-postgres-store.js';
import { type PrivateCluster, startPrivateCluster } from '../support/private-postgres.js';
import { startWorld, type World } from '../support/start-world.js';

const cluster: PrivateCluster | undefined = await startPrivateCluster('postgres-restart.test.ts');
// Trust authentication ignores it; it stands for the password a real DATABASE_URL carries.
const password = 'pw-never-shown-31aa';
const adminToken = 'admin-token-for-the-restart-test-0123456789';

/** Polls a condition of the processes under test (the server, the vendor); fails after `ms`. */
async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(cluster === undefined)('PostgreSQL restarting under a running instance', () => {
  let world: World;
  let server: RunningServer | undefined;
  beforeEach(async () => {
    world = await startWorld(['acme']);
  });
  afterEach(async () => {
    await server?.close();
    await world.close();
  });

  it('is not ready and acknowledges nothing while the database is away, then reconnects and finishes', async () => {
    const url = new URL(cluster?.url ?? '');
    url.password = password;
    url.searchParams.set('options', '-c search_path=restart_test');
    const databaseUrl = url.toString();

    // While the database is away, retries wait for it to be back instead of spinning (no real time).
    let databaseUp = true;
    let back: () => void = () => {};
    let backAgain = new Promise<void>((resolve) => {
      back = resolve;
    });
    const sleep = (_ms: number) => (databaseUp ? Promise.resolve() : backAgain);
    const lines: string[] = [];
    server = await startServer({
      cwd: world.root,
      env: {
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'debug',
        STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
        STAGEGATE_ADMIN_TOKEN: adminToken,
        STAGEGATE_STORE: 'postgres',
        DATABASE_URL: databaseUrl,
        ...world.env,
      },
      logDestination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          callback();
        },
      }),
      sleep,
    });
    const running = server;
    const candidates = ['Ada', 'Bob', 'Cy', 'Dee', 'Eve'].map((name) =>
      world.lever.addOpportunity({
        name: `${name} Test`,
        stageId: 'stage-tech',
        emails: [`${name.toLowerCase()}@example.com`],
      }),
    );
    const acknowledged = new Set<string>();
    const deliver = async (n: number, token = `delivery-${n}`) => {
      const candidate = candidates[n];
      const result = await world.lever.deliverWebhook({
        url: `${running.url}/webhooks/lever/acme`,
        event: 'candidateStageChange',
        data: { opportunityId: candidate?.id, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
        signatureToken: world.env.ACME__TOKEN ?? '',
        token,
      });
      if (result.status >= 200 && result.status < 300) acknowledged.add(token);
      return result.status;
    };
    const readyz = async (authorization?: string) => {
      const response = await fetch(`${running.url}/readyz`, {
        ...(authorization ? { headers: { authorization } } : {}),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const sendsTo = (email: string) =>
      world.vendor.sends().filter((send) => (send.body.candidate as { email: string }).email === email);

    expect([await deliver(0), await deliver(1)]).toEqual([202, 202]);
    await running.idle();
    expect(world.vendor.sends()).toHaveLength(2);
    expect((await readyz()).status).toBe(200);

    // When the database stops, Cy's send is at the vendor (the vendor will have it, the store cannot
    // say so), and Eve's delivery, accepted, is being read from Lever (its decision cannot be written).
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    world.vendor.fault({ path: /send_test/, held });
    expect(await deliver(2)).toBe(202);
    await until('the send at the vendor', () =>
      world.vendor.requests.some((r) => r.path.includes('send_test') && r.status === null),
    );
    const eve = candidates[4]?.id ?? '';
    world.lever.fault({ path: new RegExp(`/opportunities/${eve}$`), held });
    expect(await deliver(4)).toBe(202);
    await until('the read of Eve in Lever', () =>
      world.lever.requests.some((r) => r.path.endsWith(`/opportunities/${eve}`) && r.status === null),
    );
    // And Dee's delivery is inside its transaction, waiting on a lock this test holds.
    const locker = new pg.Client({ connectionString: databaseUrl });
    locker.on('error', () => {}); // its connection dies with the server
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE dedupe IN ACCESS EXCLUSIVE MODE');
    const dee = deliver(3);
    await until('the delivery to wait on the lock', async () => {
      const { rows } = await locker.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'stagegate' AND wait_event_type = 'Lock'",
      );
      return Number(rows[0]?.n) > 0;
    });
    databaseUp = false;
    await cluster?.stop('immediate');
    // Its connection broke mid-transaction: refused, and the process is still up.
    expect(await dee).toBe(500);
    await locker.end().catch(() => {});
    // Now the vendor answers the send (it has the invitation), and Lever the read.
    release();

    const away = await readyz();
    expect(away).toEqual({
      status: 503,
      body: expect.objectContaining({
        ready: false,
        store: 'failing',
        reason: 'the store cannot commit (its database or disk is unreachable or failing)',
      }),
    });
    expect(away.body).not.toHaveProperty('storeError');
    const operator = await readyz(`Bearer ${adminToken}`);
    expect(operator.body.storeError).toContain(`postgres://postgres@127.0.0.1:${cluster?.port}/postgres`);
    expect(JSON.stringify(operator.body)).not.toContain(password);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    // Lever's delivery is refused, not acknowledged: Lever sends it again later.
    expect(await deliver(3)).toBe(500);
    expect(await deliver(0)).toBe(500);
    // A vendor's callback is not taken either (the poller would still read the result later).
    const adaAtVendor = sendsTo('ada@example.com')[0]?.partnerInterviewId ?? '';
    expect(await world.vendor.complete(adaAtVendor, { score: 81 })).toBe(500);
    await until('the vendor answered the send', () =>
      world.vendor.requests.every((r) => !r.path.includes('send_test') || r.status !== null),
    );
    await until('the executor to meet the stopped database', () =>
      lines.some((line) => line.includes('executor error') || line.includes('could not')),
    );

    await until('the worker to meet the stopped database', () =>
      lines.some((line) => line.includes('delivery failed: will retry') && line.includes(eve)),
    );
    await cluster?.start();
    databaseUp = true;
    back();
    backAgain = new Promise<void>((resolve) => {
      back = resolve;
    });
    expect((await readyz()).status).toBe(200);
    // Lever's retries: the refused delivery is taken now, the one taken before is a duplicate.
    expect(await deliver(3)).toBe(202);
    expect(await deliver(0)).toBe(200);
    expect(await deliver(4)).toBe(200);
    expect(await world.vendor.complete(adaAtVendor, { score: 81 })).toBe(202);
    await running.idle();
    await running.idle(); // the check after the callback runs in the background

    // One invitation per candidate at the vendor, Cy's included (sent once, before the stop).
    for (const candidate of candidates) {
      expect(sendsTo(candidate.emails?.[0] ?? '')).toHaveLength(1);
    }
    expect(world.lever.getOpportunity(candidates[0]?.id ?? '')?.tags).toEqual(['Hired Assessments - Pass']);
    for (const n of [1, 3, 4]) {
      expect(world.lever.getOpportunity(candidates[n]?.id ?? '')?.tags).toEqual(['Hired Assessments - Sent']);
    }
    // Cy's send was cut off between the vendor and the store: in doubt, for a person to check,
    // never sent twice.
    const [cy] = await running.store.listActions({ opportunityId: candidates[2]?.id ?? '' });
    expect(cy).toMatchObject({ status: 'failed', failureClass: 'in-doubt' });
    expect(await running.store.listActions({ status: 'running' })).toEqual([]);
    expect(world.lever.getOpportunity(candidates[2]?.id ?? '')?.tags).toEqual(['Hired Assessments - Error']);
    // The operator checks at the vendor, finds it, and records it: nothing is sent again.
    const atVendor = sendsTo('cy@example.com')[0]?.partnerInterviewId;
    const retried = await fetch(`${running.url}/admin/actions/${cy?.id}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ atVendor }),
    });
    expect(retried.status).toBe(200);
    await running.idle();
    expect(sendsTo('cy@example.com')).toHaveLength(1);
    expect(world.lever.getOpportunity(candidates[2]?.id ?? '')?.tags).toEqual(['Hired Assessments - Sent']);

    // Every acknowledged delivery is in the database, as another process sees it.
    const store = await createPostgresStore({ url: databaseUrl, clock: systemClock });
    try {
      // (The vendor's result is an inbox item of its own, besides Lever's deliveries.)
      const tokens = (await store.listInbox())
        .map((item) => item.token)
        .filter((t) => t.startsWith('delivery-'));
      expect(new Set(tokens)).toEqual(acknowledged);
      expect(await store.pendingInbox()).toEqual([]);
    } finally {
      await store.close();
    }
    expect(lines.filter((line) => line.includes(password))).toEqual([]);
  }, 30_000);
});
