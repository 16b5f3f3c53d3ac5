import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startVendorSimulator, type VendorSimulator } from '../support/vendor-simulator.js';

/**
 * The partner simulator itself, spoken to with plain fetch: strict where the protocol
 * (assessment-provider-protocol.md) is explicit, so that a client mistake shows as a refusal.
 */
const key = 'vendor-key-sim';
let vendor: VendorSimulator;

beforeEach(async () => {
  vendor = await startVendorSimulator({ apiKeys: [key], tests: [{ id: 'ts-1', name: 'Backend' }] });
});

afterEach(async () => {
  await vendor.close();
});

const basic = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

function body(overrides: Record<string, unknown> = {}, candidate: Record<string, unknown> = {}) {
  return {
    partner_test_id: 'ts-1',
    candidate: {
      first_name: 'Ada',
      last_name: 'Lovelace',
      preferred_name: 'Ada',
      email: 'ada@candidates.example',
      greenhouse_profile_url: 'https://hire.lever.co/candidates/opp-1',
      ...candidate,
    },
    url: 'http://127.0.0.1:9/callbacks/inv-1',
    ...overrides,
  };
}

async function call(
  path: string,
  init: { method?: string; body?: unknown; text?: string; type?: string; authorization?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const text = init.text ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const response = await fetch(`${vendor.baseUrl}${path}`, {
    method: init.method ?? (text === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: init.authorization ?? basic(`${key}:`),
      ...(text === undefined ? {} : { 'content-type': init.type ?? 'application/json' }),
    },
    ...(text === undefined ? {} : { body: text }),
  });
  return { status: response.status, body: await response.json() };
}

describe('the vendor simulator: strict where the protocol is explicit', () => {
  it('takes a send_test in the documented shape, optional fields included', async () => {
    const sent = await call('/send_test', {
      body: body({ sent_by: 'recruiter@acme.example' }, { phone_number: null, resume_url: 'https://x/cv' }),
    });
    expect(sent).toEqual({ status: 200, body: { partner_interview_id: 'pi-1' } });
    expect(vendor.sends()).toHaveLength(1);
  });

  it('refuses a key with a password, a wrong key and no auth with 401', async () => {
    for (const authorization of [basic(`${key}:secret`), basic('other-key:'), basic(key), 'Bearer x']) {
      expect(await call('/list_tests', { authorization }), authorization).toEqual({
        status: 401,
        body: { errors: ['invalid api key'] },
      });
    }
    expect((await call('/send_test', { body: body(), authorization: basic(`${key}:x`) })).status).toBe(401);
    expect(vendor.sends()).toEqual([]);
  });

  it('refuses fields the protocol does not list, at the top and in the candidate', async () => {
    expect(await call('/send_test', { body: body({ callback_url: 'http://x' }) })).toEqual({
      status: 400,
      body: { errors: ['unknown field callback_url'] },
    });
    expect(await call('/send_test', { body: body({}, { name: 'Ada Lovelace' }) })).toEqual({
      status: 400,
      body: { errors: ['unknown field candidate.name'] },
    });
    expect((await call('/test_status?partner_interview_id=pi-1&expand=all')).status).toBe(400);
    expect((await call('/list_tests?page=2')).status).toBe(400);
    expect(
      (await call('/response_error', { body: { api_call: 'send_test', errors: [], why: 'x' } })).status,
    ).toBe(400);
    expect(vendor.sends()).toEqual([]);
  });

  it('refuses a send_test without a required field (null stands for unknown, missing does not)', async () => {
    for (const name of ['first_name', 'last_name', 'email', 'preferred_name', 'greenhouse_profile_url']) {
      const { candidate, ...rest } = body();
      const without = {
        ...rest,
        candidate: Object.fromEntries(Object.entries(candidate).filter(([k]) => k !== name)),
      };
      expect(await call('/send_test', { body: without }), name).toEqual({
        status: 400,
        body: { errors: [`missing ${name}`] },
      });
    }
    const { url: _url, ...noUrl } = body();
    expect((await call('/send_test', { body: noUrl })).status).toBe(400);
    expect((await call('/send_test', { body: body({}, { preferred_name: 7 }) })).status).toBe(400);
    expect((await call('/send_test', { body: body({}, { preferred_name: null }) })).status).toBe(200);
    expect((await call('/response_error', { body: { errors: ['x'] } })).status).toBe(400);
    expect(vendor.sends()).toHaveLength(1);
  });

  it('refuses a body that is not application/json with 415', async () => {
    const sent = await call('/send_test', { text: JSON.stringify(body()), type: 'text/plain' });
    expect(sent).toEqual({ status: 415, body: { errors: ['the body must be application/json'] } });
    const form = await call('/send_test', {
      text: 'partner_test_id=ts-1',
      type: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(vendor.sends()).toEqual([]);
  });

  it('fails after acting: the invitation exists, the answer is a 502, or the connection drops', async () => {
    vendor.fault({ path: /send_test/, status: 502, acted: true });
    expect(await call('/send_test', { body: body() })).toEqual({
      status: 502,
      body: { errors: ['injected fault'] },
    });
    expect(vendor.sends().map((s) => s.partnerInterviewId)).toEqual(['pi-1']);
    expect((await call('/test_status?partner_interview_id=pi-1')).status).toBe(200);

    vendor.fault({ path: /send_test/, lostAnswer: true });
    await expect(call('/send_test', { body: body() })).rejects.toThrow();
    expect(vendor.sends().map((s) => s.partnerInterviewId)).toEqual(['pi-1', 'pi-2']);

    // Before acting, the same 502 leaves nothing behind.
    vendor.fault({ path: /send_test/, status: 502 });
    expect((await call('/send_test', { body: body() })).status).toBe(502);
    expect(vendor.sends()).toHaveLength(2);
  });
});
