import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';
import pg from 'pg';
import { pino } from 'pino';
import { loadPack } from '../src/config/load-pack.js';
import { loadTenant } from '../src/config/load-tenant.js';
import { envSecretSources } from '../src/config/resolve-secrets.js';
import type { TenantEntry } from '../src/config/tenant-registry.js';
import type { TenantSnapshot } from '../src/config/types.js';
import { createSessionSigner, sessionCookieName, sessionKeyOf } from '../src/console/console-session.js';
import { createConsoleRouter } from '../src/console/create-console-router.js';
import { decide } from '../src/decide/decide.js';
import type { Decision } from '../src/decide/types.js';
import { computeFacts } from '../src/enrich/compute-facts.js';
import { createManualClock } from '../src/kernel/clock.js';
import { createLowdbStore } from '../src/store/lowdb/create-lowdb-store.js';
import { createPostgresStore } from '../src/store/postgres/create-postgres-store.js';
import { createSqliteStore } from '../src/store/sqlite/create-sqlite-store.js';
import type { ActionRecord, DecisionRecord, InboxItem, InvitationRecord, Store } from '../src/store/types.js';
import type { BenchResult } from './bench-result.js';

// A year of retention at a busy tenant, as the timeline benchmark has it: 100,000 decisions over
// 40,000 candidates, each with its delivery and two actions, a real decision (facts and the trace of
// every rule of the shipped pack), one invitation per candidate (half completed with a score), and a
// dead letter every 1,000 decisions. The console's pages are then asked for over HTTP, as a browser
// asks, with a signed session cookie.
const decisions = Number(process.env.STAGEGATE_BENCH_CONSOLE_DECISIONS ?? 100_000);
const opportunities = Math.round(decisions * 0.4);
const requests = 200;
const stepMs = Math.floor((365 * 24 * 3600 * 1000) / decisions);
const root = resolve(import.meta.dirname, '..');
const emailOf = (n: number) => `candidate.${n}@example.com`;
/** STAGEGATE_BENCH_CONSOLE_BACKENDS: which stores, sqlite,postgres by default (lowdb too when named). */
const backends = (process.env.STAGEGATE_BENCH_CONSOLE_BACKENDS ?? 'sqlite,postgres').split(',');
const operators = [{ name: 'bench', token: 'bench-token-0123456789abcdef0123456789' }];

function loadAcme(): TenantSnapshot {
  const packFile = 'rules/assessment-lifecycle.yaml';
  const pack = loadPack(packFile, readFileSync(resolve(root, packFile), 'utf8'));
  const load = loadTenant({
    file: 'tenants/acme.yaml',
    text: readFileSync(resolve(root, 'tenants/acme.yaml'), 'utf8'),
    findPack: () => pack,
    secrets: envSecretSources({}),
    allowedHosts: 'unchecked',
  });
  if (!load.snapshot) throw new Error(`acme did not load: ${JSON.stringify(load.diagnostics[0])}`);
  return load.snapshot;
}

/** Pages as a person opens them: the tenants, a tenant, a candidate by e-mail, a decision. */
export async function benchConsole(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-bench-console-'));
  try {
    if (backends.includes('sqlite'))
      results.push(
        ...(await measure('sqlite', (clock) =>
          createSqliteStore({
            dir: join(dir, 'sqlite'),
            clock,
            commitIntervalMs: 10,
            retention: { decisionsMs: 366 * 86_400_000 },
          }),
        )),
      );
    const database = backends.includes('postgres') ? await createDatabase() : undefined;
    if (database === undefined && backends.includes('postgres')) {
      console.warn('console benchmark: no PostgreSQL at 127.0.0.1:5432; its figures are skipped');
    } else if (database !== undefined) {
      try {
        results.push(
          ...(await measure(
            'postgres',
            (clock) =>
              createPostgresStore({ url: database.url, clock, retention: { decisionsMs: 366 * 86_400_000 } }),
            database.url,
          )),
        );
      } finally {
        await database.drop();
      }
    }
    if (backends.includes('lowdb')) {
      results.push(
        ...(await measure('lowdb', (clock) =>
          createLowdbStore({
            dir: join(dir, 'lowdb'),
            clock,
            commitIntervalMs: 10,
            retention: { decisionsMs: 366 * 86_400_000 },
          }),
        )),
      );
    }
  } finally {
    if (process.env.STAGEGATE_BENCH_CONSOLE_KEEP === '1') console.warn(`console benchmark: kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
  return results;
}

async function measure(
  backend: string,
  open: (clock: ReturnType<typeof createManualClock>) => Promise<Store>,
  bulkUrl?: string,
): Promise<BenchResult[]> {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const store = await open(clock);
  const acme = loadAcme();
  const started = performance.now();
  const ids = await fill(store, acme, clock, bulkUrl);
  console.warn(
    `console benchmark: ${backend} filled with ${decisions} decisions in ${Math.round((performance.now() - started) / 1000)} s`,
  );
  const entry: TenantEntry = {
    id: 'acme',
    file: acme.file,
    status: 'ready',
    snapshot: acme,
    diagnostics: [],
    lastError: null,
    loadedAt: clock.now(),
  };
  const key = sessionKeyOf(null, operators);
  // Twice: as served (the week's counts reused for a minute) and with the counts read every time.
  const serve = async (weekCountsTtlMs: number | undefined) => {
    const app = express();
    app.use(
      '/console',
      createConsoleRouter({
        operators,
        sessionKey: key,
        secureCookies: false,
        store,
        registry: { list: () => [entry], get: (id) => (id === 'acme' ? entry : undefined) },
        executor: { retry: () => Promise.reject(new Error('the benchmark retries nothing')) },
        readTenantFile: async () => '',
        readPacks: async () => new Map(),
        clock,
        log: pino({ level: 'silent' }),
        ...(weekCountsTtlMs === undefined ? {} : { weekCountsTtlMs }),
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((done) => server.once('listening', () => done()));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };
  const served = await serve(undefined);
  const cold = await serve(0);
  const signer = createSessionSigner({ key, operators: ['bench'] });
  const cookie = `${sessionCookieName}=${signer.issue('bench', clock.now()).value}`;
  const pages: [string, string, (n: number) => string][] = [
    ['tenants page', served.url, () => '/console'],
    ['tenant page', served.url, () => '/console/tenants/acme'],
    ['tenants page, week counted every time', cold.url, () => '/console'],
    ['tenant page, week counted every time', cold.url, () => '/console/tenants/acme'],
    [
      'candidate by e-mail',
      served.url,
      (n) => `/console/candidates?tenant=acme&q=${encodeURIComponent(emailOf((n * 7_919) % opportunities))}`,
    ],
    ['decision page', served.url, (n) => `/console/decisions/${ids[(n * 104_729) % ids.length]}`],
  ];
  const results: BenchResult[] = [];
  try {
    for (const [name, url, path] of pages) {
      const samples: number[] = [];
      for (let n = 0; n < requests + 10; n += 1) {
        const at = performance.now();
        const answer = await fetch(`${url}${path(n)}`, { headers: { cookie } });
        await answer.text();
        if (answer.status !== 200) throw new Error(`${path(n)} answered ${answer.status}`);
        // The first ten warm the statements and the engine; they are not counted.
        if (n >= 10) samples.push(performance.now() - at);
      }
      results.push(
        ...figures(`console ${name}, ${backend}, ${decisions.toLocaleString('en-US')} decisions`, samples),
      );
    }
  } finally {
    for (const { server } of [served, cold]) await new Promise<void>((done) => server.close(() => done()));
    await store.close();
  }
  return results;
}

interface Written {
  item: InboxItem;
  decision: DecisionRecord;
  actions: ActionRecord[];
  invitation: InvitationRecord | undefined;
}

/** The records of decision n, as the inbox worker and the executor leave them. */
function recordsOf(n: number, at: number, bodies: { sent: Decision; held: Decision }): Written {
  const candidate = n % opportunities;
  const opportunityId = `opp-${candidate}`;
  const id = `dec-${n}`;
  const item: InboxItem = {
    id: `inbox-${n}`,
    tenant: 'acme',
    token: `token-${n}`,
    event: 'candidateStageChange',
    triggeredAt: at,
    receivedAt: at,
    opportunityId,
    payload: { data: { opportunityId, toStageId: 'stage-tech' } },
    status: 'done',
    decisionId: id,
  };
  const body = n % 10 === 3 ? bodies.held : bodies.sent;
  const failed = n % 1_000 === 7;
  const actions: ActionRecord[] = body.actions.slice(0, 2).map((action, index) => ({
    id: `${id}:${index}`,
    tenant: 'acme',
    opportunityId,
    decisionId: id,
    index,
    action,
    status: failed && index === 1 ? 'failed' : 'done',
    attempts: 1,
    nextAttemptAt: at,
    ...(failed && index === 1
      ? { lastError: 'Lever answered 500', failureClass: 'retry-safe' as const }
      : {}),
    createdAt: at,
    updatedAt: at,
  }));
  // Each candidate's last decision sent the invitation they have; half of them completed it.
  const invitation: InvitationRecord | undefined =
    n >= decisions - opportunities && body === bodies.sent
      ? {
          id: `${id}:0`,
          tenant: 'acme',
          opportunityId,
          test: 'Backend - Python',
          providerTestId: 't-101',
          status: n % 2 === 0 ? 'completed' : 'sent',
          ...(n % 2 === 0 ? { score: n % 100 } : {}),
          candidate: { email: emailOf(candidate) },
          createdAt: at,
          updatedAt: at,
        }
      : undefined;
  return {
    item,
    decision: {
      id,
      tenant: 'acme',
      opportunityId,
      inboxId: item.id,
      createdAt: at,
      decision: { ...body, id },
      email: emailOf(candidate),
    },
    actions,
    invitation,
  };
}

async function decisionBodies(acme: TenantSnapshot, at: number): Promise<{ sent: Decision; held: Decision }> {
  const facts = computeFacts(acme, {
    event: { type: 'candidateStageChange', id: 'token', triggeredAt: at },
    now: at,
    stage: { id: 'stage-tech', name: 'Technical Screen', fromName: null },
    candidate: {
      opportunityId: 'opp',
      name: 'Ada',
      email: 'a@example.com',
      tags: [],
      archived: false,
      postingTitle: null,
      postingNote: null,
      profileUrl: null,
    },
    invitations: [],
  });
  const event = { ...facts.event, opportunityId: 'opp' };
  const held = { ...facts, selection: { ...facts.selection, held: true, test: null } };
  return {
    sent: JSON.parse(JSON.stringify(await decide(acme, event, facts))),
    held: JSON.parse(JSON.stringify(await decide(acme, event, held))),
  };
}

/**
 * SQLite (and lowdb) through the Store API, as the inbox worker writes; PostgreSQL by multi-row
 * inserts of the same records (the API's one commit per change would take ten minutes here). The
 * decision ids, for the decision page.
 */
async function fill(
  store: Store,
  acme: TenantSnapshot,
  clock: ReturnType<typeof createManualClock>,
  bulkUrl: string | undefined,
): Promise<string[]> {
  const bodies = await decisionBodies(acme, clock.now());
  const ids: string[] = [];
  if (bulkUrl !== undefined) {
    const pool = new pg.Pool({ connectionString: bulkUrl, max: 2 });
    try {
      for (let from = 0; from < decisions; from += 1_000) {
        const chunk: Written[] = [];
        for (let n = from; n < Math.min(decisions, from + 1_000); n += 1) {
          chunk.push(recordsOf(n, clock.now(), bodies));
          ids.push(`dec-${n}`);
          clock.advance(stepMs);
        }
        const insert = (table: string, records: unknown[]) =>
          pool.query(`INSERT INTO ${table} (record) SELECT value FROM json_array_elements($1::json)`, [
            JSON.stringify(records),
          ]);
        await insert(
          'inbox',
          chunk.map((w) => w.item),
        );
        await insert(
          'decisions',
          chunk.map((w) => w.decision),
        );
        await insert(
          'actions',
          chunk.flatMap((w) => w.actions),
        );
        await insert(
          'invitations',
          chunk.flatMap((w) => (w.invitation === undefined ? [] : [w.invitation])),
        );
      }
      await pool.query('ANALYZE');
    } finally {
      await pool.end();
    }
    return ids;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 500 }, async () => {
      for (let n = next++; n < decisions; n = next++) {
        const written = recordsOf(n, clock.now(), bodies);
        clock.advance(stepMs);
        ids.push(written.decision.id);
        const { item } = await store.acceptDelivery(written.item);
        await store.completeInbox(item.id, {
          decision: { ...written.decision, inboxId: item.id },
          actions: written.actions,
        });
        if (written.invitation !== undefined) await store.putInvitation(written.invitation);
      }
    }),
  );
  return ids;
}

async function createDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = process.env.STAGEGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const name = `stagegate_bench_${randomBytes(6).toString('hex')}`;
  try {
    await run(`CREATE DATABASE ${name}`);
  } catch {
    return undefined;
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

function figures(name: string, samples: number[]): BenchResult[] {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
  return [
    { name: `${name} (median)`, value: at(0.5), unit: 'ms' },
    { name: `${name} (p95)`, value: at(0.95), unit: 'ms', target: '≤ 100 ms' },
  ];
}
