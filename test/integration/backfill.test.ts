import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAdminRouter } from '../../src/admin/create-admin-router.js';
import { runCli } from '../../src/cli/main.js';
import { loadPack } from '../../src/config/load-pack.js';
import { loadTenant } from '../../src/config/load-tenant.js';
import { envSecretSources } from '../../src/config/resolve-secrets.js';
import type { TenantSnapshot } from '../../src/config/types.js';
import { createLeverCache } from '../../src/enrich/create-lever-cache.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { createLeverClient, type LeverClient } from '../../src/lever/create-lever-client.js';
import { createBucketRegistry } from '../../src/lever/rate-limit.js';
import { type BackfillReport, backfillStages } from '../../src/run/backfill-stage.js';
import { createBackfill } from '../../src/run/create-backfill.js';
import { createInboxWorker } from '../../src/run/create-inbox-worker.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import type { InboxItem, Store } from '../../src/store/types.js';
import { captureIo } from '../support/capture-io.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { sandboxTenant } from '../support/start-stagegate.js';

const apiKey = 'lever-key-backfill';
const start = Date.UTC(2025, 0, 6, 9, 0, 0);
const log = pino({ level: 'silent' });

let lever: LeverSimulator;
let client: LeverClient;
let store: Store;
let dir: string;
let tenant: TenantSnapshot;
const clock = createManualClock(start);

function loadAcme(leverUrl: string): TenantSnapshot {
  const packFile = resolve(import.meta.dirname, '../../rules/assessment-lifecycle.yaml');
  const pack = loadPack('rules/assessment-lifecycle.yaml', readFileSync(packFile, 'utf8'));
  const text = sandboxTenant('acme', leverUrl).replace(
    '    defaultTest: "Backend - Python"\n',
    '    defaultTest: "Backend - Python"\n  - stage: Take-home\n    defaultTest: "Frontend - React"\n',
  );
  const load = loadTenant({
    file: 'tenants/acme.yaml',
    text,
    findPack: (name) => (name === pack.name ? pack : undefined),
    secrets: envSecretSources({ ACME__LEVER_API_KEY: apiKey, ACME__TOKEN: 'token' }),
    allowedHosts: ['127.0.0.1'],
  });
  if (!load.snapshot?.secrets) throw new Error(JSON.stringify(load.diagnostics));
  return load.snapshot;
}

beforeEach(async () => {
  lever = await startLeverSimulator({ apiKeys: [apiKey], rateLimit: false });
  lever.addStage({ id: 'stage-new', text: 'New lead' });
  lever.addStage({ id: 'stage-screen', text: 'Technical Screen' });
  lever.addStage({ id: 'stage-home', text: 'Take-home' });
  dir = await mkdtemp(join(tmpdir(), 'stagegate-backfill-'));
  store = await createLowdbStore({ dir, clock, commitIntervalMs: 0 });
  const sleep = async () => {};
  client = createLeverClient({
    baseUrl: lever.baseUrl,
    apiKey,
    clock,
    sleep,
    buckets: createBucketRegistry({ clock, sleep, ratePerSecond: 1_000, capacity: 1_000 }),
    log,
  });
  tenant = loadAcme(lever.baseUrl);
});

afterEach(async () => {
  await store.close();
  await lever.close();
  await rm(dir, { recursive: true, force: true });
});

/** Three candidates waiting in the screen, one archived there, one elsewhere. */
function seed(): void {
  for (const id of ['opp-a', 'opp-b', 'opp-c'])
    lever.addOpportunity({ id, name: `Candidate ${id}`, stageId: 'stage-screen' });
  lever.addOpportunity({
    id: 'opp-archived',
    stageId: 'stage-screen',
    archived: { reason: 'reason-1', archivedAt: start - 1 },
  });
  lever.addOpportunity({ id: 'opp-elsewhere', stageId: 'stage-new' });
}

const outcomes = (report: BackfillReport) =>
  report.stages.map((stage) => [stage.stage, stage.opportunities.map((o) => `${o.id}:${o.outcome}`)]);

describe('backfillStages', () => {
  it('a dry run lists who would be queued and writes nothing', async () => {
    seed();
    const accepted: InboxItem[] = [];
    const report = await backfillStages({
      tenant,
      lever: client,
      store,
      stage: 'technical screen',
      dryRun: true,
      now: start,
      accepted: (item) => accepted.push(item),
    });
    expect(report).toMatchObject({ tenant: 'acme', dryRun: true });
    expect(outcomes(report)).toEqual([
      [
        'Technical Screen',
        ['opp-a:wouldQueue', 'opp-b:wouldQueue', 'opp-c:wouldQueue', 'opp-archived:archived'],
      ],
    ]);
    expect(report.stages[0]?.opportunities[0]).toEqual({
      id: 'opp-a',
      name: 'Candidate opp-a',
      outcome: 'wouldQueue',
    });
    expect(accepted).toEqual([]);
    expect(await store.pendingInbox()).toEqual([]);
  });

  it('a dry run with explain shows the decision each would get, still writing nothing', async () => {
    seed();
    const report = await backfillStages({
      tenant,
      lever: client,
      store,
      stage: 'Technical Screen',
      dryRun: true,
      explain: true,
      now: start,
      accepted: () => {
        throw new Error('a dry run accepts nothing');
      },
    });
    const first = report.stages[0]?.opportunities[0];
    expect(first?.preview).toMatchObject({
      actions: expect.arrayContaining([
        { type: 'assessment.send', test: 'Backend - Python', providerTestId: 'sandbox-python' },
      ]),
    });
    expect(await store.pendingInbox()).toEqual([]);
    expect(await store.listDecisions()).toEqual([]);
    expect(lever.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('queues each candidate of every trigger stage once; a second run queues nothing', async () => {
    seed();
    lever.addOpportunity({ id: 'opp-home', stageId: 'stage-home' });
    const accepted: InboxItem[] = [];
    const run = () =>
      backfillStages({
        tenant,
        lever: client,
        store,
        dryRun: false,
        now: start,
        accepted: (item) => accepted.push(item),
      });

    expect(outcomes(await run())).toEqual([
      ['Technical Screen', ['opp-a:queued', 'opp-b:queued', 'opp-c:queued', 'opp-archived:archived']],
      ['Take-home', ['opp-home:queued']],
    ]);
    expect(accepted.map((item) => item.token)).toEqual([
      'backfill:stage-screen:opp-a',
      'backfill:stage-screen:opp-b',
      'backfill:stage-screen:opp-c',
      'backfill:stage-home:opp-home',
    ]);
    expect(accepted[0]).toMatchObject({
      tenant: 'acme',
      event: 'candidateStageChange',
      triggeredAt: start,
      opportunityId: 'opp-a',
      status: 'pending',
      payload: { event: 'candidateStageChange', data: { opportunityId: 'opp-a', toStageId: 'stage-screen' } },
    });
    expect(await store.pendingInbox('acme')).toHaveLength(4);

    accepted.length = 0;
    expect(outcomes(await run())).toEqual([
      [
        'Technical Screen',
        ['opp-a:duplicate', 'opp-b:duplicate', 'opp-c:duplicate', 'opp-archived:archived'],
      ],
      ['Take-home', ['opp-home:duplicate']],
    ]);
    expect(accepted).toEqual([]);
    expect(await store.pendingInbox('acme')).toHaveLength(4);

    const dry = await backfillStages({
      tenant,
      lever: client,
      store,
      dryRun: true,
      now: start,
      accepted: () => {},
    });
    expect(outcomes(dry)[0]?.[1]).toContain('opp-a:duplicate');
  });

  it('run again after the replay window, leaves the decided alone instead of colliding with their decisions', async () => {
    lever.addOpportunity({ id: 'opp-a', stageId: 'stage-screen', emails: ['a@example.com'] });
    lever.addOpportunity({ id: 'opp-b', stageId: 'stage-screen', emails: ['b@example.com'] });
    const worker = createInboxWorker({
      store,
      tenant: (id) => (id === 'acme' ? tenant : undefined),
      lever: () => client,
      cache: createLeverCache(),
      clock,
      sleep: async () => {},
      log,
    });
    const run = () =>
      backfillStages({
        tenant,
        lever: client,
        store,
        stage: 'Technical Screen',
        dryRun: false,
        now: clock.now(),
        accepted: (item) => worker.enqueue(item),
      });
    try {
      await run();
      await worker.idle();
      expect(await store.listDecisions({ tenant: 'acme' })).toHaveLength(2);

      // Past the dedupe window (72 h and 5 min): the store has forgotten the tokens, not the decisions.
      clock.advance(80 * 60 * 60 * 1000);
      await store.prune(clock.now());
      lever.addOpportunity({ id: 'opp-c', stageId: 'stage-screen', emails: ['c@example.com'] });
      expect(outcomes(await run())).toEqual([
        ['Technical Screen', ['opp-a:duplicate', 'opp-b:duplicate', 'opp-c:queued']],
      ]);
      await worker.idle();
      expect(await store.listInbox({ status: 'skipped' })).toEqual([]);
      expect(await store.listDecisions({ tenant: 'acme' })).toHaveLength(3);

      // The same event reaching the worker through another item is recorded as a repeat, not an INTERNAL error.
      const { item } = await store.acceptDelivery({
        tenant: 'acme',
        token: 'backfill:stage-screen:opp-a',
        event: 'candidateStageChange',
        triggeredAt: start,
        opportunityId: 'opp-a',
        payload: {
          event: 'candidateStageChange',
          data: { opportunityId: 'opp-a', toStageId: 'stage-screen' },
        },
      });
      worker.enqueue(item);
      await worker.idle();
      expect(await store.getInboxItem(item.id)).toMatchObject({
        status: 'skipped',
        reason: expect.stringMatching(
          /^the same event was decided already: decision dec_\w+ \(inbox item inb_/,
        ),
      });
      expect(await store.listDecisions({ tenant: 'acme' })).toHaveLength(3);
    } finally {
      await worker.stop();
    }
  });

  it('pages through a stage of more than one page (Lever pages by 100)', async () => {
    for (let i = 0; i < 103; i++) lever.addOpportunity({ id: `opp-${i}`, stageId: 'stage-screen' });
    const accepted: InboxItem[] = [];
    const report = await backfillStages({
      tenant,
      lever: client,
      store,
      stage: 'Technical Screen',
      dryRun: false,
      now: start,
      accepted: (item) => accepted.push(item),
    });
    expect(report.stages[0]?.opportunities).toHaveLength(103);
    expect(new Set(accepted.map((item) => item.opportunityId)).size).toBe(103);
    const pages = lever.requests.filter((r) => r.path === '/opportunities');
    expect(pages).toHaveLength(2);
    expect(pages[1]?.query.offset).toBeDefined();
  });

  it('refuses a stage that is not a trigger, naming the triggers', async () => {
    const attempt = backfillStages({
      tenant,
      lever: client,
      store,
      stage: 'New lead',
      dryRun: true,
      now: start,
      accepted: () => {},
    });
    await expect(attempt).rejects.toMatchObject({
      code: 'STAGE_UNKNOWN',
      message:
        "'New lead' is not a trigger stage of tenant acme; its trigger stages are: 'Technical Screen', 'Take-home'",
    });
    expect(lever.requests).toEqual([]);
  });

  it('refuses when Lever has no stage of that name', async () => {
    const noHome = await startLeverSimulator({ apiKeys: [apiKey], rateLimit: false });
    try {
      noHome.addStage({ id: 'stage-screen', text: 'Technical Screen' });
      const sleep = async () => {};
      const other = createLeverClient({
        baseUrl: noHome.baseUrl,
        apiKey,
        clock,
        sleep,
        buckets: createBucketRegistry({ clock, sleep }),
        log,
      });
      await expect(
        backfillStages({ tenant, lever: other, store, dryRun: false, now: start, accepted: () => {} }),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: expect.stringContaining("no stage named 'Take-home'"),
      });
      expect(await store.pendingInbox()).toEqual([]);
    } finally {
      await noHome.close();
    }
  });
});

describe('POST /admin/backfill and stagegate backfill', () => {
  const token = 'admin-token-backfill';
  let url: string;
  let close: () => Promise<void>;
  let accepted: InboxItem[];

  beforeEach(async () => {
    accepted = [];
    const app = express();
    app.use(
      '/admin',
      createAdminRouter({
        token,
        store,
        executor: {
          retry: () => {
            throw new Error('not used');
          },
        },
        registry: { list: () => [] },
        log,
        backfill: createBackfill({
          tenant: (id) => (id === 'acme' ? tenant : undefined),
          lever: () => client,
          store,
          clock,
          accepted: (item) => accepted.push(item),
        }),
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((done) => server.once('listening', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    };
  });

  afterEach(async () => {
    await close();
  });

  async function cli(argv: string[]) {
    const io = captureIo({ cwd: process.cwd(), env: { STAGEGATE_URL: url, STAGEGATE_ADMIN_TOKEN: token } });
    const code = await runCli(argv, io);
    return { code, out: io.out(), err: io.err() };
  }

  it('dry-runs, then queues, then finds only duplicates', async () => {
    seed();
    const dry = await cli(['backfill', '--tenant', 'acme', '--stage', 'Technical Screen', '--dry-run']);
    expect(dry.err).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('Technical Screen (stage-screen): would queue 3, already queued 0, archived 1');
    expect(dry.out).toMatch(/opp-a\s+Candidate opp-a\s+wouldQueue/);
    expect(dry.out).toContain('dry run: nothing was queued');
    expect(accepted).toEqual([]);

    const explained = await cli([
      'backfill',
      '--tenant',
      'acme',
      '--stage',
      'Technical Screen',
      '--dry-run',
      '--explain',
    ]);
    expect(explained.code).toBe(0);
    expect(explained.out).toMatch(/opp-a\s+Candidate opp-a\s+wouldQueue\s+.*assessment\.send/);

    const real = await cli(['backfill', '--tenant', 'acme', '--json']);
    expect(real.code).toBe(0);
    const report = JSON.parse(real.out) as BackfillReport;
    expect(outcomes(report)).toEqual([
      ['Technical Screen', ['opp-a:queued', 'opp-b:queued', 'opp-c:queued', 'opp-archived:archived']],
      ['Take-home', []],
    ]);
    expect(accepted).toHaveLength(3);

    const again = await cli(['backfill', '--tenant', 'acme']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('Technical Screen (stage-screen): queued 0, already queued 3, archived 1');
    expect(accepted).toHaveLength(3);
  });

  it('answers what was wrong: an unknown stage, an unknown tenant, a bad body', async () => {
    const stage = await cli(['backfill', '--tenant', 'acme', '--stage', 'Onsite']);
    expect(stage).toMatchObject({
      code: 1,
      err: "STAGE_UNKNOWN: 'Onsite' is not a trigger stage of tenant acme; its trigger stages are: 'Technical Screen', 'Take-home'\n",
    });
    const typo = await cli(['backfill', '--tenant', 'acme', '--stage', 'Technical Scren']);
    expect(typo.err).toMatch(/^STAGE_UNKNOWN: .*\(did you mean 'Technical Screen'\?\)\n$/);
    const unknown = await cli(['backfill', '--tenant', 'globex']);
    expect(unknown).toMatchObject({ code: 1, err: "TENANT_UNKNOWN: no tenant 'globex' is loaded\n" });
    expect(await cli(['backfill', '--tenant', 'acme', '--explain'])).toMatchObject({ code: 2 });

    const response = await fetch(`${url}/admin/backfill`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme', dryRun: 'yes' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'BAD_JSON' });
    expect(accepted).toEqual([]);
  });

  it('is a 404 when the service was started without backfill', async () => {
    const app = express();
    app.use(
      '/admin',
      createAdminRouter({
        token,
        store,
        executor: { retry: () => Promise.reject(new Error('not used')) },
        registry: { list: () => [] },
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((done) => server.once('listening', done));
    try {
      const response = await fetch(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/backfill`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ tenant: 'acme' }),
        },
      );
      expect(response.status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});
