import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/kernel/clock.js';
import { StagegateError } from '../../src/kernel/errors.js';
import { createLeverClient, type LeverClientOptions } from '../../src/lever/create-lever-client.js';
import { createDegradedTenants, credentialObserver } from '../../src/lever/degraded-tenants.js';
import { createBucketRegistry } from '../../src/lever/rate-limit.js';
import { verifyLeverSignature } from '../../src/lever/webhook-signature.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';

const API_KEY = 'lever-key-7f3a9c';
const START = Date.UTC(2025, 0, 15, 12, 0, 0);

let lever: LeverSimulator;

beforeEach(async () => {
  lever = await startLeverSimulator({ apiKeys: [API_KEY] });
});

afterEach(async () => {
  await lever.close();
});

/** A client on a manual clock whose sleep returns at once, advances the clock and keeps the delay. */
function setup(overrides: Partial<LeverClientOptions> = {}) {
  const clock = createManualClock(START);
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    clock.advance(ms);
  };
  const logLines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const buckets = createBucketRegistry({ clock, sleep });
  const client = createLeverClient({
    baseUrl: lever.baseUrl,
    apiKey: API_KEY,
    clock,
    sleep,
    buckets,
    log,
    random: () => 0.5,
    ...overrides,
  });
  return { client, clock, sleeps, logLines, buckets };
}

async function caught(promise: Promise<unknown>): Promise<StagegateError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof StagegateError)) throw new Error(`expected a StagegateError, got ${String(error)}`);
  return error;
}

function seedCandidate() {
  const stage = lever.addStage({ id: 'stage-screen', text: 'Phone screen' });
  const posting = lever.addPosting({ id: 'posting-be', text: 'Backend Engineer', tags: ['engineering'] });
  const opportunity = lever.addOpportunity({
    id: 'opp-1',
    name: 'Ada Lovelace',
    contactId: 'contact-ada',
    emails: ['ada@example.com'],
    stageId: stage.id,
    postingIds: [posting.id],
    tags: ['referral'],
  });
  return { stage, posting, opportunity };
}

describe('Lever client against the simulator: happy paths', () => {
  it('gets an expanded opportunity with Basic auth', async () => {
    seedCandidate();
    const { client, sleeps } = setup();

    const opportunity = await client.getOpportunity('opp-1');

    expect(opportunity).toMatchObject({
      id: 'opp-1',
      name: 'Ada Lovelace',
      contact: { id: 'contact-ada' },
      emails: ['ada@example.com'],
      tags: ['referral'],
      stage: { id: 'stage-screen', text: 'Phone screen' },
      archived: null,
      applications: [{ posting: 'posting-be' }],
      urls: { show: 'https://hire.lever.co/candidates/opp-1' },
    });
    expect(lever.requests).toEqual([
      {
        method: 'GET',
        path: '/opportunities/opp-1',
        query: { expand: 'applications,stage,contact' },
        // One field per parameter, as Lever documents it: not `expand=applications,stage,contact`.
        search: 'expand=applications&expand=stage&expand=contact',
        body: undefined,
        apiKey: API_KEY,
        status: 200,
      },
    ]);
    expect(sleeps).toEqual([]);
  });

  it('lists every opportunity of a stage across pages', async () => {
    const screen = lever.addStage({ id: 'stage-screen', text: 'Phone screen' });
    const onsite = lever.addStage({ id: 'stage-onsite', text: 'On-site' });
    const expected: string[] = [];
    for (let i = 0; i < 250; i++) {
      expected.push(lever.addOpportunity({ id: `opp-${i}`, stageId: screen.id }).id);
      if (i % 50 === 0) lever.addOpportunity({ id: `other-${i}`, stageId: onsite.id });
    }
    const { client } = setup();

    const seen: string[] = [];
    for await (const opportunity of client.listOpportunities({ stageId: screen.id }))
      seen.push(opportunity.id);

    expect(seen).toEqual(expected);
    expect(lever.requests.map((r) => r.query)).toEqual([
      { stage_id: 'stage-screen', limit: '100' },
      { stage_id: 'stage-screen', limit: '100', offset: expect.any(String) },
      { stage_id: 'stage-screen', limit: '100', offset: expect.any(String) },
    ]);
  });

  it('refuses a cursor Lever gave before (LEVER_API naming the path) instead of paging forever', async () => {
    const screen = lever.addStage({ id: 'stage-screen', text: 'Phone screen' });
    for (let i = 0; i < 250; i++) lever.addOpportunity({ id: `opp-${i}`, stageId: screen.id });
    lever.repeatCursors();
    const { client } = setup();

    const seen: string[] = [];
    const error = await caught(
      (async () => {
        for await (const opportunity of client.listOpportunities({ stageId: screen.id }))
          seen.push(opportunity.id);
      })(),
    );

    expect(error.code).toBe('LEVER_API');
    expect(error.message).toContain('GET /opportunities');
    expect(error.details).toMatchObject({ method: 'GET', path: '/opportunities' });
    // The first page, the second (whose cursor comes back as its own next), then no more asking.
    expect(seen).toHaveLength(200);
    expect(lever.requests).toHaveLength(2);
  });

  it('ends an empty list after one page', async () => {
    lever.addStage({ id: 'stage-empty', text: 'Empty' });
    const { client } = setup();
    const seen: unknown[] = [];
    for await (const opportunity of client.listOpportunities({ stageId: 'stage-empty' }))
      seen.push(opportunity);
    expect(seen).toEqual([]);
    expect(lever.requests).toHaveLength(1);
  });

  it('lists stages and gets a posting', async () => {
    seedCandidate();
    const { client } = setup();
    expect(await client.listStages()).toEqual([{ id: 'stage-screen', text: 'Phone screen' }]);
    expect(await client.getPosting('posting-be')).toEqual({
      id: 'posting-be',
      text: 'Backend Engineer',
      tags: ['engineering'],
    });
  });

  it('adds and removes tags and links', async () => {
    seedCandidate();
    lever.addOpportunity({ id: 'opp-2', contactId: 'contact-ada' });
    const { client } = setup();

    expect((await client.addTags('opp-1', ['stagegate:invited', 'referral'])).tags).toEqual([
      'referral',
      'stagegate:invited',
    ]);
    expect((await client.removeTags('opp-1', ['referral'])).tags).toEqual(['stagegate:invited']);
    await client.addLinks('opp-1', ['https://vendor.example/report/1']);
    // Links live on the contact, so the person's other opportunity shows them too.
    expect(lever.getOpportunity('opp-2')?.links).toEqual(['https://vendor.example/report/1']);
    expect((await client.removeLinks('opp-1', ['https://vendor.example/report/1'])).links).toEqual([]);
    expect(lever.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', '/opportunities/opp-1/addTags', { tags: ['stagegate:invited', 'referral'] }],
      ['POST', '/opportunities/opp-1/removeTags', { tags: ['referral'] }],
      ['POST', '/opportunities/opp-1/addLinks', { links: ['https://vendor.example/report/1'] }],
      ['POST', '/opportunities/opp-1/removeLinks', { links: ['https://vendor.example/report/1'] }],
    ]);
  });

  it('adds a note and returns its id', async () => {
    seedCandidate();
    const { client } = setup();
    const noteId = await client.addNote('opp-1', 'Assessment sent: Backend test');
    expect(noteId).toEqual(expect.any(String));
    expect(lever.notes('opp-1')).toEqual([
      expect.objectContaining({ id: noteId, value: 'Assessment sent: Backend test' }),
    ]);
    expect(lever.requests[0]?.status).toBe(201);
  });

  it('lists the notes with their text', async () => {
    seedCandidate();
    const { client } = setup();
    const noteId = await client.addNote('opp-1', 'first line\n\n— stagegate dec_1:0');
    expect(await client.listNotes('opp-1')).toEqual([
      expect.objectContaining({
        id: noteId,
        fields: [expect.objectContaining({ value: 'first line\n\n— stagegate dec_1:0' })],
      }),
    ]);
  });

  it('sends a note once: again after a 429, never after an answer that may have been lost', async () => {
    seedCandidate();
    const { client } = setup();
    lever.fault({ path: /notes/, method: 'POST', status: 429, times: 1 });
    await client.addNote('opp-1', 'after a rate limit');
    expect(lever.notes('opp-1')).toHaveLength(1);

    for (const fault of [{ lostAnswer: true }, { status: 500 }, { status: 502 }]) {
      lever.clearRequests();
      lever.fault({ path: /notes/, method: 'POST', times: 1, ...fault });
      const error = await caught(client.addNote('opp-1', 'maybe added'));
      expect(error.details).toMatchObject({ attempts: 1, failureClass: 'in-doubt' });
      expect(lever.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    }
    // A lost answer: Lever did add it; the others: it did not.
    expect(lever.notes('opp-1').map((note) => note.value)).toEqual(['after a rate limit', 'maybe added']);
  });

  it('moves the stage and archives', async () => {
    seedCandidate();
    lever.addStage({ id: 'stage-assessment', text: 'Assessment' });
    const { client } = setup();

    expect((await client.moveStage('opp-1', 'stage-assessment')).stage).toBe('stage-assessment');
    const archived = await client.archive('opp-1', 'reason-failed-test');
    expect(archived.archived).toEqual({ reason: 'reason-failed-test', archivedAt: expect.any(Number) });
    expect(lever.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['PUT', '/opportunities/opp-1/stage', { stage: 'stage-assessment' }],
      ['PUT', '/opportunities/opp-1/archived', { reason: 'reason-failed-test' }],
    ]);
  });

  it('sends perform_as on writes when configured, not on reads', async () => {
    seedCandidate();
    const { client } = setup({ performAs: 'user-integration' });
    await client.getOpportunity('opp-1');
    await client.addNote('opp-1', 'hello');
    expect(lever.requests.map((r) => r.query.perform_as)).toEqual([undefined, 'user-integration']);
    expect(lever.notes('opp-1')[0]?.performAs).toBe('user-integration');
  });

  it('escapes ids in the path', async () => {
    const { client } = setup();
    const error = await caught(client.getOpportunity('../stages'));
    expect(error.details.status).toBe(404);
    expect(lever.requests[0]?.path).toBe('/opportunities/..%2Fstages');
  });
});

describe('Lever client: errors that are final', () => {
  it('fails with LEVER_API 401 on a wrong key, without retrying', async () => {
    const { client, sleeps } = setup({ apiKey: 'not-a-key' });
    const error = await caught(client.listStages());
    expect(error.code).toBe('LEVER_API');
    expect(error.details).toMatchObject({
      status: 401,
      leverCode: 'Unauthorized',
      method: 'GET',
      path: '/stages',
    });
    expect(lever.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('fails with LEVER_API 404 ResourceNotFound for an unknown opportunity', async () => {
    const { client } = setup();
    const error = await caught(client.getOpportunity('missing'));
    expect(error).toBeInstanceOf(StagegateError);
    expect(error.code).toBe('LEVER_API');
    expect(error.status).toBe(502);
    expect(error.details).toMatchObject({
      status: 404,
      leverCode: 'ResourceNotFound',
      leverMessage: 'Opportunity missing not found',
      method: 'GET',
      path: '/opportunities/missing',
      attempts: 1,
    });
  });

  it('does not retry a 400', async () => {
    seedCandidate();
    const { client, sleeps } = setup();
    const error = await caught(client.moveStage('opp-1', 'no-such-stage'));
    expect(error.details).toMatchObject({ status: 400, leverCode: 'BadRequest', method: 'PUT' });
    expect(lever.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry an injected 403', async () => {
    const { client, sleeps } = setup();
    lever.fault({ status: 403, times: 3 });
    const error = await caught(client.listStages());
    expect(error.details).toMatchObject({ status: 403, leverCode: 'Forbidden' });
    expect(lever.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe('Lever client: retries', () => {
  it('retries a 500 three times with full-jitter backoff, then succeeds', async () => {
    seedCandidate();
    const { client, sleeps } = setup();
    lever.fault({ status: 500, times: 3, path: /^\/opportunities\/opp-1$/ });

    const opportunity = await client.getOpportunity('opp-1');

    expect(opportunity.id).toBe('opp-1');
    expect(lever.requests.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    // random() = 0.5 of a ceiling of 250, 500, 1000 ms.
    expect(sleeps).toEqual([125, 250, 500]);
  });

  it('gives up after the configured attempts with the last answer', async () => {
    const { client, sleeps } = setup({ retry: { attempts: 3 } });
    lever.fault({ status: 503, times: 10 });
    const error = await caught(client.listStages());
    expect(error.code).toBe('LEVER_API');
    expect(error.details).toMatchObject({ status: 503, leverCode: 'ServiceUnavailable', attempts: 3 });
    expect(lever.requests).toHaveLength(3);
    expect(sleeps).toEqual([125, 250]);
  });

  it('caps the backoff at maxMs', async () => {
    const { client, sleeps } = setup({
      retry: { attempts: 5, baseMs: 1000, maxMs: 3000 },
      random: () => 0.999_999,
    });
    lever.fault({ status: 500, times: 4 });
    await client.listStages();
    expect(sleeps).toEqual([999, 1999, 2999, 2999]);
  });

  it('honours Retry-After in seconds on a 429', async () => {
    const { client, sleeps } = setup();
    lever.fault({ status: 429, retryAfter: 7 });
    await client.listStages();
    expect(sleeps).toEqual([7000]);
    expect(lever.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const { client, sleeps } = setup();
    lever.fault({ status: 503, retryAfter: new Date(START + 3000).toUTCString() });
    await client.listStages();
    expect(sleeps).toEqual([3000]);
  });

  it('falls back to backoff on a 429 without Retry-After', async () => {
    const { client, sleeps } = setup();
    lever.fault({ status: 429 });
    await client.listStages();
    expect(sleeps).toEqual([125]);
  });

  it('hands a Retry-After longer than maxMs back to the caller instead of waiting', async () => {
    const { client, sleeps } = setup({ retry: { maxMs: 10_000 } });
    lever.fault({ status: 429, retryAfter: 60 });
    const error = await caught(client.listStages());
    expect(error.details).toMatchObject({ status: 429, retryAfterMs: 60_000, attempts: 1 });
    expect(sleeps).toEqual([]);
  });

  it('retries a request that timed out', async () => {
    const { client, sleeps } = setup({ timeoutMs: 50 });
    lever.fault({ timeout: true });
    expect(await client.listStages()).toEqual([]);
    expect(lever.requests.map((r) => r.status)).toEqual([null, 200]);
    expect(sleeps).toEqual([125]);
  });

  it('fails with LEVER_UNREACHABLE when every attempt times out', async () => {
    const { client } = setup({ timeoutMs: 50, retry: { attempts: 2 } });
    lever.fault({ timeout: true, times: 2 });
    const error = await caught(client.listStages());
    expect(error.code).toBe('LEVER_UNREACHABLE');
    expect(error.details).toMatchObject({ reason: 'timeout', method: 'GET', path: '/stages', attempts: 2 });
  });

  it('times out a slow answer too', async () => {
    const { client, sleeps } = setup({ timeoutMs: 50 });
    lever.fault({ latencyMs: 1000 });
    await client.listStages();
    expect(sleeps).toEqual([125]);
  });

  it('retries a reset connection', async () => {
    seedCandidate();
    const { client, sleeps } = setup();
    lever.fault({ reset: true, times: 2 });
    expect((await client.addTags('opp-1', ['x'])).tags).toContain('x');
    expect(lever.requests.map((r) => r.status)).toEqual([null, null, 200]);
    expect(sleeps).toEqual([125, 250]);
  });

  it('fails with LEVER_UNREACHABLE when nothing listens', async () => {
    const closedUrl = lever.baseUrl;
    await lever.close();
    const { client, sleeps } = setup({ baseUrl: closedUrl, retry: { attempts: 2 } });
    const error = await caught(client.listStages());
    expect(error.code).toBe('LEVER_UNREACHABLE');
    expect(error.details).toMatchObject({ reason: 'refused', failureClass: 'retry-safe', attempts: 2 });
    expect(error.cause).toBeInstanceOf(Error);
    expect(sleeps).toEqual([125]);
    lever = await startLeverSimulator({ apiKeys: [API_KEY] });
  });

  it('takes a bucket token for every attempt, shared by all clients of one key', async () => {
    const clock = createManualClock(START);
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };
    const buckets = createBucketRegistry({ clock, sleep, capacity: 2 });
    const shared = {
      baseUrl: lever.baseUrl,
      apiKey: API_KEY,
      clock,
      sleep,
      buckets,
      log: pino({ level: 'silent' }),
    };
    const intake = createLeverClient({ ...shared, random: () => 0 });
    const executor = createLeverClient({ ...shared, random: () => 0 });
    lever.fault({ status: 500 });

    await intake.listStages(); // two attempts: the bucket is empty
    expect(sleeps).toEqual([0]);
    await executor.listStages();
    expect(sleeps).toEqual([0, 100]);
  });
});

describe('Lever client: the API key stays secret', () => {
  it('never writes the key to the log or into an error', async () => {
    const { client, logLines } = setup();
    lever.fault({ status: 500, times: 2 });
    lever.fault({ reset: true });
    await client.listStages();
    const error = await caught(client.getOpportunity('missing'));

    const basic = Buffer.from(`${API_KEY}:`).toString('base64');
    const written = [...logLines, error.message, JSON.stringify(error.details)].join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    expect(written).not.toContain(API_KEY);
    expect(written).not.toContain(basic);
    expect(logLines.map((line) => JSON.parse(line).msg)).toContain('lever call failed; retrying');
  });
});

describe('Lever simulator', () => {
  it('rate-limits each API key on its own with 429', async () => {
    const limited = await startLeverSimulator({
      apiKeys: ['key-a', 'key-b'],
      rateLimit: { perSecond: 0.001, burst: 2 },
    });
    try {
      const call = async (key: string) => {
        const response = await fetch(`${limited.baseUrl}/stages`, {
          headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
        });
        return { status: response.status, body: await response.json() };
      };
      expect((await call('key-a')).status).toBe(200);
      expect((await call('key-a')).status).toBe(200);
      expect(await call('key-a')).toEqual({
        status: 429,
        body: { code: 'TooManyRequests', message: expect.any(String) },
      });
      expect((await call('key-b')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('answers 401 without Basic auth and 400 for a bad page size', async () => {
    const missing = await fetch(`${lever.baseUrl}/stages`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: 'Unauthorized' });
    const auth = { authorization: `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}` };
    const badLimit = await fetch(`${lever.baseUrl}/opportunities?limit=500`, { headers: auth });
    expect(badLimit.status).toBe(400);
  });

  it('delivers a webhook signed the way Lever signs it', async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiver.address() as AddressInfo;
      const result = await lever.deliverWebhook({
        url: `http://127.0.0.1:${port}/webhooks/lever/acme`,
        event: 'candidateStageChange',
        data: { opportunityId: 'opp-1', fromStageId: 'a', toStageId: 'b' },
        signatureToken: 'sig-token-1',
        triggeredAt: START,
      });

      expect(result.status).toBe(202);
      expect(result.body).toEqual({ ok: true });
      const [delivery] = received;
      expect(delivery?.headers['user-agent']).toBe('Lever-Webhooks');
      expect(delivery?.headers['content-type']).toBe('application/json');
      const body = JSON.parse(delivery?.body ?? '{}');
      expect(body).toEqual({ ...result.payload });
      expect(body).toMatchObject({
        event: 'candidateStageChange',
        triggeredAt: START,
        token: expect.any(String),
      });
      expect(verifyLeverSignature({ body, signatureTokens: ['sig-token-1'] })).toBe(true);
      expect(verifyLeverSignature({ body, signatureTokens: ['sig-token-2'] })).toBe(false);
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('Lever simulator: strict where the documentation is explicit', () => {
  const basic = (user: string, password = '') =>
    `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

  async function call(
    path: string,
    init: { method?: string; authorization?: string | null; body?: string; contentType?: string } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = {};
    const authorization = init.authorization === undefined ? basic(API_KEY) : init.authorization;
    if (authorization !== null) headers.authorization = authorization;
    if (init.contentType !== undefined) headers['content-type'] = init.contentType;
    const response = await fetch(`${lever.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('expands nothing for a comma-joined expand: stage, applications and contact stay ids', async () => {
    seedCandidate();
    const old = await call('/opportunities/opp-1?expand=applications,stage,contact');
    expect(old.status).toBe(200);
    expect(old.body.data).toMatchObject({
      stage: 'stage-screen',
      contact: 'contact-ada',
      applications: [expect.any(String)],
    });

    const repeated = await call('/opportunities/opp-1?expand=applications&expand=stage&expand=contact');
    expect(repeated.body.data).toMatchObject({
      stage: { id: 'stage-screen', text: 'Phone screen' },
      contact: { id: 'contact-ada' },
      applications: [{ posting: 'posting-be' }],
    });
  });

  it('refuses query parameters a call does not list, perform_as on a read among them', async () => {
    seedCandidate();
    for (const path of [
      '/opportunities/opp-1?include=stage',
      '/opportunities/opp-1?perform_as=user-1',
      '/stages?expand=stage',
      '/opportunities/opp-1/notes?perform_as=user-1',
      '/postings/posting-be?limit=1',
      '/opportunities?stage_id=stage-screen&limit=10&limit=20',
    ]) {
      const answer = await call(path);
      expect({ path, status: answer.status, code: answer.body.code }).toEqual({
        path,
        status: 400,
        code: 'BadRequest',
      });
      expect(answer.body.message).toEqual(expect.any(String));
    }
  });

  it('takes perform_as on the writes the documentation lists it for', async () => {
    seedCandidate();
    const answer = await call('/opportunities/opp-1/addTags?perform_as=user-1', {
      method: 'POST',
      contentType: 'application/json',
      body: JSON.stringify({ tags: ['x'] }),
    });
    expect(answer.status).toBe(200);
    const empty = await call('/opportunities/opp-1/addTags?perform_as=', {
      method: 'POST',
      contentType: 'application/json',
      body: JSON.stringify({ tags: ['y'] }),
    });
    expect(empty).toMatchObject({ status: 400, body: { code: 'BadRequest' } });
  });

  it('refuses unknown body fields, a body that is not a JSON object, and other content types', async () => {
    seedCandidate();
    const post = (body: string, contentType = 'application/json') =>
      call('/opportunities/opp-1/notes', { method: 'POST', body, contentType });
    for (const [body, contentType] of [
      [JSON.stringify({ value: 'hi', text: 'hi' })],
      [JSON.stringify(['hi'])],
      ['value=hi', 'application/x-www-form-urlencoded'],
      [JSON.stringify({ value: 'hi' }), 'text/plain'],
    ] as const) {
      expect(await post(body, contentType)).toMatchObject({ status: 400, body: { code: 'BadRequest' } });
    }
    expect(lever.notes('opp-1')).toEqual([]);
    expect((await post(JSON.stringify({ value: 'hi' }), 'application/json; charset=utf-8')).status).toBe(201);
  });

  it('answers 404 ResourceNotFound for a path or a method the documentation does not list', async () => {
    seedCandidate();
    for (const [method, path] of [
      ['GET', '/candidates/opp-1'],
      ['DELETE', '/opportunities/opp-1'],
      ['POST', '/opportunities/opp-1/stage'],
      ['GET', '/opportunities/opp-1/addTags'],
      ['GET', '/opportunities/opp-1/notes/note-1'],
      ['PUT', '/stages'],
    ] as const) {
      const answer = await call(path, { method });
      expect({ method, path, status: answer.status, code: answer.body.code }).toEqual({
        method,
        path,
        status: 404,
        code: 'ResourceNotFound',
      });
    }
    const outside = await fetch(lever.baseUrl.replace(/\/v1$/, '/v2/stages'), {
      headers: { authorization: basic(API_KEY) },
    });
    expect(outside.status).toBe(404);
  });

  it('takes a limit from 1 to 100 and only an offset it gave out', async () => {
    lever.addStage({ id: 'stage-screen', text: 'Phone screen' });
    for (const limit of ['0', '101', '1.5', 'ten', '']) {
      expect((await call(`/opportunities?limit=${limit}`)).status).toBe(400);
    }
    expect((await call('/opportunities?offset=3')).status).toBe(400);
    for (let i = 0; i < 3; i++) lever.addOpportunity({ id: `opp-${i}` });
    const first = await call('/opportunities?limit=2');
    expect(first.body).toMatchObject({ hasNext: true, next: expect.any(String) });
    const second = await call(`/opportunities?limit=2&offset=${String(first.body.next)}`);
    expect(second.body).toEqual({ data: [expect.objectContaining({ id: 'opp-2' })], hasNext: false });
  });

  it('matches a repeated stage_id, not a comma-joined one', async () => {
    lever.addStage({ id: 'a', text: 'A' });
    lever.addStage({ id: 'b', text: 'B' });
    lever.addOpportunity({ id: 'in-a', stageId: 'a' });
    lever.addOpportunity({ id: 'in-b', stageId: 'b' });
    const ids = (answer: { body: Record<string, unknown> }) =>
      (answer.body.data as Array<{ id: string }>).map((o) => o.id);
    expect(ids(await call('/opportunities?stage_id=a&stage_id=b'))).toEqual(['in-a', 'in-b']);
    expect(ids(await call('/opportunities?stage_id=a,b'))).toEqual([]);
  });

  it('pages the notes of an opportunity, and the client reads every page', async () => {
    // 130 notes at once would meet the rate limit, which runs on real time.
    await lever.close();
    lever = await startLeverSimulator({ apiKeys: [API_KEY], rateLimit: false });
    seedCandidate();
    const { client } = setup();
    for (let i = 0; i < 130; i++) {
      const answer = await call('/opportunities/opp-1/notes', {
        method: 'POST',
        contentType: 'application/json',
        body: JSON.stringify({ value: `note ${i}` }),
      });
      expect(answer.status).toBe(201);
    }
    lever.clearRequests();
    const notes = await client.listNotes('opp-1');
    expect(notes).toHaveLength(130);
    expect(lever.requests.map((r) => r.search)).toEqual([
      'limit=100',
      expect.stringMatching(/^limit=100&offset=[\w-]+$/),
    ]);
  });

  it('takes Basic auth with the key as user name and an empty password, and nothing else', async () => {
    for (const authorization of [
      null,
      basic('not-a-key'),
      basic(API_KEY, 'a-password'),
      `Basic ${Buffer.from(API_KEY).toString('base64')}`,
      `Bearer ${API_KEY}`,
    ]) {
      const answer = await call('/stages', { authorization });
      expect(answer).toEqual({ status: 401, body: { code: 'Unauthorized', message: expect.any(String) } });
    }
    expect((await call('/stages')).status).toBe(200);
  });

  it('answers 403 for a confidential posting and 404 for a deleted opportunity', async () => {
    seedCandidate();
    lever.addPosting({ id: 'posting-secret', text: 'Stealth role', confidential: true });
    expect(await call('/postings/posting-secret')).toMatchObject({
      status: 403,
      body: { code: 'Forbidden' },
    });
    lever.deleteOpportunity('opp-1');
    expect(await call('/opportunities/opp-1')).toMatchObject({
      status: 404,
      body: { code: 'ResourceNotFound' },
    });
  });
});

describe('the credential watch (every call through the transport)', () => {
  it('marks the tenant degraded on a 401 in a paged list, and a good call clears it', async () => {
    const clock = createManualClock(START);
    const degraded = createDegradedTenants({ clock, log: pino({ level: 'silent' }) });
    const revoked = setup({ apiKey: 'a-revoked-key', onOutcome: credentialObserver('acme', degraded) });
    // A backfill reads a stage page by page: a refused key there is a refused key too.
    await expect(async () => {
      for await (const _ of revoked.client.listOpportunities({ stageId: 'stage-tech' })) {
        // nothing to read
      }
    }).rejects.toThrow(StagegateError);
    expect(degraded.get('acme')).toMatchObject({ since: START });

    const good = setup({ onOutcome: credentialObserver('acme', degraded) });
    await good.client.listStages();
    expect(degraded.get('acme')).toBeNull();
  });
});
