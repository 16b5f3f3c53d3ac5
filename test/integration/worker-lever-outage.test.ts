import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { Decision } from '../../src/decide/types.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { captureIo } from '../support/capture-io.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { testStoreEnv } from '../support/open-store.js';
import { createWorkspace, sandboxTenant } from '../support/start-stagegate.js';

const apiKey = 'acme-lever-key-for-outages';
const token = 'acme-webhook-token-for-outages';
const adminToken = 'admin-token-for-outages-32-characters-long';
const env = { ACME__LEVER_API_KEY: apiKey, ACME__TOKEN: token, STAGEGATE_ADMIN_TOKEN: adminToken };
const minute = 60 * 1000;
const hour = 60 * minute;

let clock: ReturnType<typeof createManualClock>;
let lever: LeverSimulator;
let root: string;
/** When Lever comes back, on the manual clock; Infinity while it stays down. */
let leverBackAt: number;

interface LogLine {
  msg: string;
  level: number;
  attempt?: number;
  retryInMs?: number;
  opportunityId?: string;
  degraded?: boolean;
}

beforeEach(async () => {
  clock = createManualClock(Date.parse('2026-03-02T09:00:00Z'));
  lever = await startLeverSimulator({ apiKeys: [apiKey], rateLimit: false, now: () => clock.now() });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  root = await createWorkspace({ acme: sandboxTenant('acme', lever.baseUrl) });
  leverBackAt = Number.POSITIVE_INFINITY;
});

afterEach(async () => {
  await lever.close();
  await rm(root, { recursive: true, force: true });
});

/** Lever answers 503 to everything until the manual clock reaches leverBackAt. */
function leverDown(): void {
  lever.fault({ status: 503, message: 'Lever is down', times: Number.MAX_SAFE_INTEGER });
}

/**
 * The real server on the manual clock. Every wait it asks for (the worker's backoff, the Lever
 * client's retries) moves the clock on at once, and Lever comes back once the clock passes leverBackAt.
 */
async function start(
  extraEnv: Record<string, string> = {},
  onLine: (line: LogLine) => void = () => {},
  /** Replaces the clock-moving wait, for tests that hold the worker in its backoff. */
  sleep?: (ms: number) => Promise<void>,
): Promise<RunningServer & { logged: LogLine[] }> {
  const logged: LogLine[] = [];
  const server = await startServer({
    cwd: root,
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'debug',
      ...testStoreEnv(root),
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
      ...env,
      ...extraEnv,
    },
    logDestination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const text of chunk.toString().split('\n').filter(Boolean)) {
          const line = JSON.parse(text) as LogLine;
          logged.push(line);
          onLine(line);
        }
        callback();
      },
    }),
    clock,
    sleep:
      sleep ??
      (async (ms) => {
        clock.advance(ms);
        if (clock.now() >= leverBackAt) lever.clearFaults();
      }),
  });
  return Object.assign(server, { logged });
}

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

async function cli(url: string, argv: string[]) {
  const io = captureIo({ cwd: root, env: { STAGEGATE_URL: url, STAGEGATE_ADMIN_TOKEN: adminToken } });
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

interface TenantReadiness {
  id: string;
  degraded: { reason: string; since: number } | null;
}

async function readiness(url: string): Promise<{ status: number; acme: TenantReadiness | undefined }> {
  const response = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${adminToken}` } });
  const body = (await response.json()) as { detail: TenantReadiness[] };
  return { status: response.status, acme: body.detail.find((tenant) => tenant.id === 'acme') };
}

const deliver = (url: string, opportunityId: string) =>
  lever.deliverWebhook({
    url: `${url}/webhooks/lever/acme`,
    event: 'candidateStageChange',
    data: { opportunityId, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
    signatureToken: token,
    triggeredAt: clock.now(),
  });

const retries = (logged: LogLine[]) => logged.filter((line) => line.msg === 'delivery failed: will retry');

describe('the inbox worker while Lever is unavailable', () => {
  it('keeps a delivery pending through a six-hour outage, then decides it', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await start();
    try {
      const acceptedAt = clock.now();
      leverDown();
      leverBackAt = acceptedAt + 6 * hour;
      expect((await deliver(server.url, opportunity.id)).status).toBe(202);
      await server.idle();

      const [record] = await server.store.listDecisions({ tenant: 'acme' });
      expect((record?.decision as Decision | undefined)?.facts.stage.name).toBe('Technical Screen');
      expect(await server.store.pendingInbox()).toEqual([]);
      expect(clock.now()).toBeGreaterThanOrEqual(acceptedAt + 6 * hour);
      // Far more tries than the old limit of 12 (about 18 minutes), each wait capped at 15 minutes.
      const waits = retries(server.logged).map((line) => line.retryInMs ?? 0);
      expect(waits.length).toBeGreaterThan(24);
      expect(Math.max(...waits)).toBe(15 * minute);
      expect(lever.getOpportunity(opportunity.id)?.tags).toContain('Hired Assessments - Sent');
    } finally {
      await server.close();
    }
  });

  it('gives up once Lever has been down for the whole replay window, and records why', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await start({ STAGEGATE_REPLAY_WINDOW_HOURS: '3' });
    try {
      const acceptedAt = clock.now();
      leverDown();
      const answer = await deliver(server.url, opportunity.id);
      await server.idle();

      const item = await server.store.getInboxItem((answer.body as { id: string }).id);
      expect(item?.status).toBe('skipped');
      expect(item?.reason).toMatch(/^gave up after \d+ attempts over 3(\.\d)? h: Lever answered 503 /);
      expect(clock.now() - acceptedAt).toBeGreaterThanOrEqual(3 * hour);
      expect(clock.now() - acceptedAt).toBeLessThan(3 * hour + 20 * minute);
      expect(await server.store.listDecisions({ tenant: 'acme' })).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('skips a delivery at once, with the reason, when Lever refuses it for good', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await start();
    try {
      lever.fault({ status: 400, message: 'This opportunity cannot be read', times: 1 });
      const answer = await deliver(server.url, opportunity.id);
      await server.idle();

      const item = await server.store.getInboxItem((answer.body as { id: string }).id);
      expect(item?.status).toBe('skipped');
      expect(item?.reason).toMatch(/Lever answered 400 .*This opportunity cannot be read/);
      expect(retries(server.logged)).toEqual([]);
      expect(lever.requests.filter((request) => request.path.startsWith('/opportunities/'))).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('keeps retrying across a restart: the new process decides the delivery once Lever is back', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    leverDown();
    let retrying: () => void = () => {};
    const firstRetry = new Promise<void>((resolve) => {
      retrying = resolve;
    });
    const first = await start({}, (line) => {
      if (line.msg === 'delivery failed: will retry') retrying();
    });
    let inboxId: string;
    try {
      const answer = await deliver(first.url, opportunity.id);
      inboxId = (answer.body as { id: string }).id;
      await firstRetry;
    } finally {
      await first.close();
    }
    expect(first.logged.some((line) => line.msg.startsWith('delivery failed for good'))).toBe(false);

    lever.clearFaults();
    const second = await start();
    try {
      await second.idle();
      expect((await second.store.getInboxItem(inboxId))?.status).toBe('done');
      const [record] = await second.store.listDecisions({ tenant: 'acme' });
      expect(record?.inboxId).toBe(inboxId);
    } finally {
      await second.close();
    }
  });
});

describe('a tenant whose Lever key Lever refuses', () => {
  it('is degraded (readyz, status, one log line) while its deliveries wait in order; the next good call clears it', async () => {
    const first = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const second = lever.addOpportunity({ stageId: 'stage-tech', emails: ['grace@example.com'] });
    lever.fault({ status: 401, message: 'Invalid API key', times: Number.MAX_SAFE_INTEGER });
    let hold: ReturnType<typeof deferred> | undefined = deferred();
    const waiting = deferred();
    const refused = new Set<string>();
    const server = await start(
      {},
      (line) => {
        if (line.msg === 'delivery failed: will retry' && line.degraded === true) {
          refused.add(line.opportunityId ?? '');
          if (refused.size === 2) waiting.resolve();
        }
      },
      async (ms) => {
        await hold?.promise;
        clock.advance(ms);
        if (clock.now() >= leverBackAt) lever.clearFaults();
      },
    );
    try {
      const degradedAt = clock.now();
      expect((await deliver(server.url, first.id)).status).toBe(202);
      const hired = await lever.deliverWebhook({
        url: `${server.url}/webhooks/lever/acme`,
        event: 'candidateHired',
        data: { opportunityId: first.id },
        signatureToken: token,
        triggeredAt: clock.now(),
      });
      expect(hired.status).toBe(202);
      expect((await deliver(server.url, second.id)).status).toBe(202);
      await waiting.promise;

      // Ready all the same: a refused key is the tenant's problem, not the instance's.
      const during = await readiness(server.url);
      expect(during.status).toBe(200);
      expect(during.acme?.degraded).toEqual({
        reason: expect.stringMatching(
          /^Lever refused the API key \(401\): Lever answered 401 .*Invalid API key/,
        ),
        since: degradedAt,
      });
      const status = await cli(server.url, ['status']);
      expect(status.code).toBe(0);
      expect(status.out).toMatch(/acme\s+ready, degraded/);
      expect(status.out).toContain(
        'acme: degraded since 2026-03-02T09:00:00.000Z: Lever refused the API key (401)',
      );
      expect((await server.store.pendingInbox('acme')).map((item) => item.event)).toEqual([
        'candidateStageChange',
        'candidateHired',
        'candidateStageChange',
      ]);
      // The hire waits behind its opportunity's first delivery: Lever was asked about two, not three.
      const opportunityReads = lever.requests.filter((r) => r.path.startsWith('/opportunities/'));
      expect(new Set(opportunityReads.map((r) => r.path))).toEqual(
        new Set([`/opportunities/${first.id}`, `/opportunities/${second.id}`]),
      );

      leverBackAt = clock.now() + 2 * hour;
      const release = hold;
      hold = undefined;
      release.resolve();
      await server.idle();

      const decided = (await server.store.listDecisions({ tenant: 'acme', opportunityId: first.id }))
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((record) => (record.decision as Decision).event.type);
      expect(decided).toEqual(['candidateStageChange', 'candidateHired']);
      expect(await server.store.listDecisions({ tenant: 'acme', opportunityId: second.id })).toHaveLength(1);
      expect(await server.store.listInbox({ status: 'skipped' })).toEqual([]);
      expect((await readiness(server.url)).acme?.degraded).toBeNull();
      const changes = server.logged.filter((line) => / is (no longer )?degraded/.test(line.msg));
      expect(changes.map((line) => [line.level, line.msg.split(':')[0]])).toEqual([
        [50, 'tenant acme is degraded'],
        [40, 'tenant acme is no longer degraded'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('skips its deliveries only when the replay window runs out; an operator replays them once the key works', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    // A 403 on the opportunity itself: the key lost its access, as with a 401.
    lever.fault({ status: 403, path: /^\/opportunities\/[^/]+$/, times: Number.MAX_SAFE_INTEGER });
    const server = await start({ STAGEGATE_REPLAY_WINDOW_HOURS: '3' });
    try {
      const acceptedAt = clock.now();
      const answer = await deliver(server.url, opportunity.id);
      const id = (answer.body as { id: string }).id;
      await server.idle();

      const skipped = await server.store.getInboxItem(id);
      expect(skipped?.status).toBe('skipped');
      expect(skipped?.reason).toMatch(
        /^gave up after \d+ attempts over 3(\.\d)? h: Lever refused the API key reading an opportunity \(403\)/,
      );
      expect(clock.now() - acceptedAt).toBeGreaterThanOrEqual(3 * hour);

      const listed = await cli(server.url, ['inbox', 'list', '--tenant', 'acme', '--status', 'skipped']);
      expect(listed.code).toBe(0);
      expect(listed.out).toMatch(
        new RegExp(
          `${id}\\s+acme\\s+candidateStageChange\\s+${opportunity.id}\\s+2026-03-02T09:00:00.000Z\\s+skipped\\s+gave up after`,
        ),
      );
      const json = await cli(server.url, ['inbox', 'list', '--status', 'skipped', '--json']);
      expect(JSON.parse(json.out)).toEqual([
        expect.objectContaining({ id, status: 'skipped', receivedAt: acceptedAt }),
      ]);
      // The admin answers carry no payload: the webhook's body stays in the store.
      expect((await server.store.getInboxItem(id))?.payload).toMatchObject({ event: 'candidateStageChange' });
      const inboxAnswer = await fetch(`${server.url}/admin/inbox?tenant=acme`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      const { items } = (await inboxAnswer.json()) as { items: object[] };
      expect(items).toHaveLength(1);
      for (const item of [...items, ...(JSON.parse(json.out) as object[])])
        expect(item).not.toHaveProperty('payload');

      lever.clearFaults();
      const replayedAt = clock.now();
      expect(await cli(server.url, ['inbox', 'replay', id])).toMatchObject({
        code: 0,
        out: `inbox item ${id} is pending again: the worker decides it now\n`,
      });
      await server.idle();
      expect(await server.store.getInboxItem(id)).toMatchObject({
        status: 'done',
        receivedAt: acceptedAt,
        replayedAt,
      });
      expect(lever.getOpportunity(opportunity.id)?.tags).toContain('Hired Assessments - Sent');

      // Decided now: a second replay is refused, and a bulk replay finds nothing.
      const again = await cli(server.url, ['inbox', 'replay', id]);
      expect(again.code).toBe(1);
      expect(again.err).toMatch(
        /^CONFLICT: inbox item .* was decided \(decision dec_\w+\): only a skipped delivery can be replayed/,
      );
      expect(
        await cli(server.url, ['inbox', 'replay', '--all-skipped', '--tenant', 'acme', '--since', '1d']),
      ).toMatchObject({
        code: 0,
        out: 'no skipped deliveries to replay\n',
      });
    } finally {
      await server.close();
    }
  });

  it('replays every skipped delivery of a tenant since a time, with a fresh retry window, and refuses a tenant that is not loaded', async () => {
    const opportunities = [1, 2, 3].map((n) =>
      lever.addOpportunity({ stageId: 'stage-tech', emails: [`c${n}@example.com`] }),
    );
    const server = await start({ STAGEGATE_REPLAY_WINDOW_HOURS: '1' });
    try {
      lever.fault({ status: 401, times: Number.MAX_SAFE_INTEGER });
      const ids: string[] = [];
      for (const opportunity of opportunities) {
        ids.push(((await deliver(server.url, opportunity.id)).body as { id: string }).id);
        await server.idle();
        clock.advance(3 * hour);
      }
      expect((await server.store.listInbox({ status: 'skipped' })).map((item) => item.id)).toEqual(ids);
      // A delivery of a tenant that has since gone: it cannot be replayed.
      const { item: orphan } = await server.store.acceptDelivery({
        tenant: 'globex',
        token: 'globex-1',
        event: 'candidateStageChange',
        triggeredAt: clock.now(),
        opportunityId: 'opp-g',
        payload: {},
      });
      await server.store.completeInbox(orphan.id, {
        skipped: 'tenant globex has no valid configuration any more',
      });
      const refused = await cli(server.url, ['inbox', 'replay', orphan.id]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('TENANT_UNKNOWN: tenant globex is not loaded');

      // The key works again; the last two are replayed, from the second's arrival on. Hours past
      // their window counted from arrival, they still get retries: the window counts from the replay.
      lever.clearFaults();
      // Five 503s: the Lever client's own tries, so that the worker sees the failure and retries.
      lever.fault({ status: 503, path: new RegExp(`^/opportunities/${opportunities[1]?.id}$`), times: 5 });
      const since = new Date((await server.store.getInboxItem(ids[1] ?? ''))?.receivedAt ?? 0).toISOString();
      const bulk = await cli(server.url, [
        'inbox',
        'replay',
        '--all-skipped',
        '--tenant',
        'acme',
        '--since',
        since,
      ]);
      expect(bulk).toMatchObject({
        code: 0,
        out: `2 skipped deliveries back to pending:\n  ${ids[1]}\n  ${ids[2]}\n`,
      });
      await server.idle();
      expect((await server.store.listInbox({ tenant: 'acme' })).map((item) => item.status)).toEqual([
        'skipped',
        'done',
        'done',
      ]);
      expect(lever.requests.filter((r) => r.status === 503)).toHaveLength(5);
      expect(await cli(server.url, ['inbox', 'replay', '--all-skipped', '--tenant', 'acme'])).toMatchObject({
        code: 2,
        err: expect.stringContaining('--all-skipped needs --since'),
      });
    } finally {
      await server.close();
    }
  });

  it('runs an action Lever refused the key for at once when the tenant reloads, not at the end of its wait', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const file = join(root, 'tenants', 'acme.yaml');
    lever.fault({
      status: 401,
      path: /\/addTags$/,
      message: 'Invalid API key',
      times: Number.MAX_SAFE_INTEGER,
    });
    const waiting = deferred();
    const tagged = deferred();
    const server = await start({ ACME__NEW_LEVER_KEY: apiKey }, (line) => {
      const { type } = line as LogLine & { type?: string };
      if (line.msg === 'action waits: Lever refuses the tenant key') waiting.resolve();
      if (line.msg === 'action done' && type === 'lever.addTags') tagged.resolve();
    });
    try {
      await deliver(server.url, opportunity.id);
      await waiting.promise;
      await server.idle();
      const [action] = (await server.store.listActions({ tenant: 'acme', status: 'pending' })).filter(
        (record) => (record.action as { type: string }).type === 'lever.addTags',
      );
      expect(action).toMatchObject({ attempts: 0, failureClass: 'retry-safe' });
      expect(action?.nextAttemptAt).toBeGreaterThan(clock.now());

      // The operator puts the new key in; the manual clock stands still, so only the reload can run it.
      lever.clearFaults();
      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace('ACME__LEVER_API_KEY', 'ACME__NEW_LEVER_KEY'),
      );
      await tagged.promise;
      expect(await server.store.getAction(action?.id ?? '')).toMatchObject({ status: 'done', attempts: 1 });
      expect(lever.getOpportunity(opportunity.id)?.tags).toEqual(['Hired Assessments - Sent']);
    } finally {
      await server.close();
    }
  });

  it('tries again at once when the tenant reloads with a new key, not at the end of its backoff', async () => {
    const opportunity = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const file = join(root, 'tenants', 'acme.yaml');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('ACME__LEVER_API_KEY', 'ACME__OLD_LEVER_KEY'),
    );
    const retrying = deferred();
    const decided = deferred();
    const server = await start(
      { ACME__OLD_LEVER_KEY: 'a-revoked-lever-key' },
      (line) => {
        if (line.msg === 'delivery failed: will retry') retrying.resolve();
        if (line.msg === 'delivery decided') decided.resolve();
      },
      // Every backoff lasts until the test ends: only the reload can end it.
      () => new Promise<void>(() => {}),
    );
    try {
      await deliver(server.url, opportunity.id);
      await retrying.promise;
      expect((await readiness(server.url)).acme?.degraded?.reason).toMatch(
        /^Lever refused the API key \(401\)/,
      );

      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace('ACME__OLD_LEVER_KEY', 'ACME__LEVER_API_KEY'),
      );
      await decided.promise;

      const [record] = await server.store.listDecisions({ tenant: 'acme' });
      expect((record?.decision as Decision | undefined)?.facts.stage.name).toBe('Technical Screen');
      expect(retries(server.logged)).toHaveLength(1);
      expect((await readiness(server.url)).acme?.degraded).toBeNull();
    } finally {
      await server.close();
    }
  });
});
