import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackToken } from '../../src/intake/callback-token.js';
import { signLeverWebhook } from '../../src/lever/webhook-signature.js';
import { startStagegate } from '../support/start-stagegate.js';
import { emailOf, post, startWorld, type World } from './world.js';

const adminToken = 'admin-token-5be1c0-for-hostile-input-tests';
const callbackSecret = 'callback-secret-a71f22';
let world: World;
let server: Awaited<ReturnType<typeof startStagegate>>;
let fuzzed = 0;

beforeAll(async () => {
  world = await startWorld(['acme', 'globex']);
  world.lever.addOpportunity({ id: 'opp-1', stageId: 'stage-tech' });
  server = await startStagegate(world.root, {
    ...world.env,
    STAGEGATE_ADMIN_TOKEN: adminToken,
    STAGEGATE_CALLBACK_SECRET: callbackSecret,
    LOG_LEVEL: 'trace',
  });
});

afterAll(async () => {
  console.info(`hostile input: ${fuzzed} requests fuzzed`);
  await server.close();
  await world.close();
});

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

/** Bodies a hostile or broken client might send, raw bytes included. */
const bodyArbitrary: fc.Arbitrary<Uint8Array | string> = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.anything().map((value) => {
    try {
      return JSON.stringify(value) ?? 'undefined';
    } catch {
      return String(value);
    }
  }),
  // A Lever-shaped envelope with the wrong types in every field.
  fc
    .record({
      triggeredAt: fc.oneof(fc.string(), fc.double(), fc.constant(null), fc.integer()),
      event: fc.oneof(fc.constantFrom('candidateStageChange', 'candidateHired'), fc.string(), fc.integer()),
      data: fc.oneof(fc.object(), fc.string(), fc.constant(null), fc.array(fc.integer())),
      signature: fc.oneof(fc.string(), hex(64), fc.integer()),
      token: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    })
    .map((value) => JSON.stringify(value)),
  fc.integer({ min: 1, max: 100_000 }).map((n) => JSON.stringify({ event: 'x'.repeat(n), data: {} })),
  fc.integer({ min: 1, max: 3_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1, max: 3_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.uint8Array({ maxLength: 2_000 }),
  // Invalid UTF-8 inside what is otherwise JSON.
  fc
    .uint8Array({ minLength: 1, maxLength: 64 })
    .map((bytes) =>
      Buffer.concat([Buffer.from('{"event":"'), Buffer.from([0xc3, 0x28, 0xff]), bytes, Buffer.from('"}')]),
    ),
);
const contentTypeArbitrary = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
  'application/jsonp',
);
const tenantArbitrary = fc.oneof(
  fc.constantFrom('acme', 'globex', 'nobody', '..', '%00', 'a'.repeat(300)),
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s) || 'x'),
);

async function send(path: string, method: string, body: Uint8Array | string | undefined, type: string) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: type === '' ? {} : { 'content-type': type },
    ...(body === undefined ? {} : { body }),
  });
  await response.arrayBuffer();
  fuzzed += 1;
  return response.status;
}

describe('hostile input', () => {
  it('answers fuzzed webhooks with 4xx only and keeps serving, in bounded memory', async () => {
    const rssBefore = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(tenantArbitrary, bodyArbitrary, contentTypeArbitrary, async (tenant, body, type) => {
        const status = await send(`/webhooks/lever/${tenant}`, 'POST', body, type);
        expect(status, `${tenant} ${type}`).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 400 },
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // Generous: the fuzzing process and the server share this heap; a leak of the bodies would be far more.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);
  }, 30_000);

  it('answers fuzzed vendor callbacks with 4xx only', async () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 60 }).map((s) => encodeURIComponent(s) || 'x'),
      hex(40),
      fc.constantFrom('acme', 'inv_0123456789abcdef0123', '..'),
    );
    await fc.assert(
      fc.asyncProperty(
        segment,
        segment,
        segment,
        fc.constantFrom('PATCH', 'POST'),
        fc.option(bodyArbitrary, { nil: undefined }),
        contentTypeArbitrary,
        async (tenant, invitation, token, method, body, type) => {
          const status = await send(
            `/callbacks/assessments/${tenant}/${invitation}/${token}`,
            method,
            body,
            type,
          );
          expect(status).toBeGreaterThanOrEqual(400);
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 30_000);

  it("refuses tenant A's webhook token at tenant B", async () => {
    const triggeredAt = Date.now();
    const status = await world.lever
      .deliverWebhook({
        url: `${server.url}/webhooks/lever/globex`,
        event: 'candidateStageChange',
        data: { opportunityId: 'opp-1', toStageId: 'stage-tech' },
        signatureToken: world.env.ACME__TOKEN ?? '',
        triggeredAt,
      })
      .then((result) => result.status);
    expect(status).toBe(401);
    // And a forged signature with the right shape.
    const forged = await world.lever.deliverWebhook({
      url: `${server.url}/webhooks/lever/acme`,
      event: 'candidateStageChange',
      data: { opportunityId: 'opp-1', toStageId: 'stage-tech' },
      signatureToken: world.env.ACME__TOKEN ?? '',
      signature: signLeverWebhook('not-the-token', 'tok', triggeredAt),
    });
    expect(forged.status).toBe(401);
  });

  it('refuses the admin API without its token, and has none without STAGEGATE_ADMIN_TOKEN', async () => {
    expect((await fetch(`${server.url}/admin/status`)).status).toBe(401);
    const wrong = { authorization: 'Bearer not-the-admin-token' };
    expect((await fetch(`${server.url}/admin/status`, { headers: wrong })).status).toBe(401);
    expect(
      (await fetch(`${server.url}/admin/actions/retry-failed`, { method: 'POST', headers: wrong })).status,
    ).toBe(401);
    const right = { authorization: `Bearer ${adminToken}` };
    expect((await fetch(`${server.url}/admin/status`, { headers: right })).status).toBe(200);

    const bare = await startStagegate(world.root, { ...world.env, STAGEGATE_DATA_DIR: 'data-bare' });
    try {
      expect((await fetch(`${bare.url}/admin/status`)).status).toBe(404);
      expect((await fetch(`${bare.url}/admin/status`, { headers: right })).status).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it("refuses a wrong callback token, and the right token for another tenant's URL", async () => {
    expect(
      await post(world.lever, server.url, 'acme', {
        token: 'cb-1',
        kind: 'stage',
        opportunityId: 'opp-1',
        triggeredAt: Date.now(),
      }),
    ).toBe(202);
    await server.idle();
    const [invitation] = await server.store.listInvitations({ tenant: 'acme' });
    expect(invitation?.candidate?.email).toBe(emailOf('opp-1'));
    const id = invitation?.id ?? '';
    const right = callbackToken(callbackSecret, 'acme', id);
    const patch = (tenant: string, token: string) =>
      send(`/callbacks/assessments/${tenant}/${id}/${token}`, 'PATCH', undefined, '');
    expect(await patch('acme', '0'.repeat(40))).toBe(404);
    expect(await patch('acme', right.slice(0, 39))).toBe(404);
    expect(await patch('globex', right)).toBe(404);
    expect(await patch('globex', callbackToken(callbackSecret, 'globex', id))).toBe(404);
    expect(await patch('acme', right)).toBe(202);
    await server.idle();
  });

  it('writes no configured secret into any log line', () => {
    const secrets = [...Object.values(world.env), adminToken, callbackSecret];
    expect(server.lines.length).toBeGreaterThan(100);
    for (const secret of secrets) {
      const leaking = server.lines.filter((line) => line.includes(secret));
      expect(leaking, secret).toEqual([]);
    }
  });
});
