import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StagegateError } from '../../src/kernel/errors.js';
import {
  createGreenhousePartnerProvider,
  type GreenhousePartnerProviderOptions,
} from '../../src/providers/greenhouse-partner/create-greenhouse-partner-provider.js';
import type { ProviderInvitation } from '../../src/providers/types.js';
import { startVendorSimulator, type VendorFault, type VendorSimulator } from '../support/vendor-simulator.js';

const API_KEY = 'vendor-key-5b21e8';
const TESTS = [
  { id: 'ts-backend', name: 'Backend take-home' },
  { id: 'ts-sql', name: 'SQL screen' },
];

let vendor: VendorSimulator;

beforeEach(async () => {
  vendor = await startVendorSimulator({ apiKeys: [API_KEY], tests: TESTS });
});

afterEach(async () => {
  await vendor.close();
});

function setup(overrides: Partial<GreenhousePartnerProviderOptions> = {}) {
  const logLines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const provider = createGreenhousePartnerProvider({
    baseUrl: vendor.baseUrl,
    apiKey: API_KEY,
    log,
    ...overrides,
  });
  return { provider, logLines };
}

function invitation(overrides: Partial<ProviderInvitation> = {}): ProviderInvitation {
  return {
    invitationId: 'inv-1',
    providerTestId: 'ts-backend',
    candidate: {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@candidates.example',
      profileUrl: 'https://hire.lever.co/candidates/opp-1',
    },
    callbackUrl: 'http://127.0.0.1:9/callbacks/inv-1',
    ...overrides,
  };
}

async function caught(promise: Promise<unknown>): Promise<StagegateError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof StagegateError)) throw new Error(`expected a StagegateError, got ${String(error)}`);
  return error;
}

describe('createGreenhousePartnerProvider against the vendor simulator', () => {
  it('lists the tests with Basic auth (key as user, empty password)', async () => {
    const { provider } = setup();
    await expect(provider.listTests()).resolves.toEqual([
      { id: 'ts-backend', name: 'Backend take-home' },
      { id: 'ts-sql', name: 'SQL screen' },
    ]);
    expect(vendor.requests).toHaveLength(1);
    expect(vendor.requests[0]).toMatchObject({
      method: 'GET',
      path: '/list_tests',
      apiKey: API_KEY,
      status: 200,
    });
  });

  it('sends a test in the protocol shape and reads its status, pending then complete', async () => {
    const patches: Array<{ method: string | undefined; url: string | undefined; body: string }> = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        patches.push({ method: req.method, url: req.url, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callbacks/inv-1`;
    try {
      const { provider } = setup();
      const { vendorInvitationId } = await provider.sendTest(invitation({ callbackUrl }));
      expect(vendorInvitationId).toBe('pi-1');
      expect(vendor.sends()).toEqual([
        {
          partnerInterviewId: 'pi-1',
          body: {
            partner_test_id: 'ts-backend',
            candidate: {
              first_name: 'Ada',
              last_name: 'Lovelace',
              preferred_name: 'Ada',
              email: 'ada@candidates.example',
              greenhouse_profile_url: 'https://hire.lever.co/candidates/opp-1',
            },
            url: callbackUrl,
          },
        },
      ]);

      await expect(provider.getStatus('pi-1')).resolves.toEqual({
        status: 'sent',
        score: null,
        reportUrl: null,
        metadata: { test_name: 'Backend take-home' },
      });
      vendor.start('pi-1');
      await expect(provider.getStatus('pi-1')).resolves.toMatchObject({ status: 'started', score: null });

      await expect(vendor.complete('pi-1', { score: 87.5 })).resolves.toBe(204);
      expect(patches).toEqual([{ method: 'PATCH', url: '/callbacks/inv-1', body: '' }]);
      await expect(provider.getStatus('pi-1')).resolves.toEqual({
        status: 'complete',
        score: 87.5,
        reportUrl: 'https://vendor.example/reports/pi-1',
        metadata: { test_name: 'Backend take-home' },
      });
      expect(vendor.requests.at(-1)).toMatchObject({
        method: 'GET',
        path: '/test_status',
        query: { partner_interview_id: 'pi-1' },
      });
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('a bad key is a final 401 and the key appears in no log line nor error', async () => {
    const { provider, logLines } = setup({ apiKey: 'not-the-key' });
    const error = await caught(provider.listTests());
    expect(error.code).toBe('PROVIDER_API');
    expect(error.details).toMatchObject({
      status: 401,
      failureClass: 'final',
      method: 'GET',
      path: '/list_tests',
    });
    expect(error.message).toContain('invalid api key');
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain('not-the-key');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('not-the-key');
  });

  it('an unknown test is a final 404', async () => {
    const { provider } = setup();
    const error = await caught(provider.sendTest(invitation({ providerTestId: 'ts-nope' })));
    expect(error.details).toMatchObject({
      status: 404,
      failureClass: 'final',
      method: 'POST',
      path: '/send_test',
    });
    expect(vendor.sends()).toEqual([]);
  });

  it('an unknown interview is a final 404', async () => {
    const { provider } = setup();
    const error = await caught(provider.getStatus('pi-404'));
    expect(error.details).toMatchObject({ status: 404, failureClass: 'final', path: '/test_status' });
  });

  it("an invalid email is a final 400 whose message carries the vendor's words", async () => {
    const { provider } = setup();
    const bad = invitation();
    const error = await caught(
      provider.sendTest({ ...bad, candidate: { ...bad.candidate, email: 'ada.candidates.example' } }),
    );
    expect(error.code).toBe('PROVIDER_API');
    expect(error.details).toMatchObject({
      status: 400,
      failureClass: 'final',
      vendorErrors: ['invalid email'],
    });
    expect(error.message).toContain('the vendor rejected the request: invalid email');
  });

  it('a 500 on send_test is in doubt (the vendor may have acted), and the provider itself does not retry', async () => {
    vendor.fault({ path: /^\/send_test$/, status: 500, errors: ['database unavailable'] });
    const { provider } = setup();
    const error = await caught(provider.sendTest(invitation()));
    expect(error.details).toMatchObject({
      status: 500,
      failureClass: 'in-doubt',
      vendorErrors: ['database unavailable'],
    });
    expect(error.message).toContain('database unavailable');
    expect(vendor.requests).toHaveLength(1);
  });

  it('a 429 is retry-safe', async () => {
    vendor.fault({ status: 429 });
    const { provider } = setup();
    const error = await caught(provider.listTests());
    expect(error.details).toMatchObject({ status: 429, failureClass: 'retry-safe' });
  });

  it('a GET the vendor does not answer in time is a retry-safe timeout', async () => {
    vendor.fault({ path: /^\/list_tests$/, timeout: true });
    const { provider } = setup({ timeoutMs: 50 });
    const error = await caught(provider.listTests());
    expect(error.code).toBe('PROVIDER_API');
    expect(error.details).toMatchObject({
      status: null,
      failureClass: 'retry-safe',
      reason: 'timeout',
      path: '/list_tests',
    });
    expect(error.message).toContain('within 50 ms');
  });

  it('a dropped connection on a GET is a retry-safe network error', async () => {
    vendor.fault({ reset: true });
    const { provider } = setup();
    const error = await caught(provider.listTests());
    expect(error.details).toMatchObject({ status: null, failureClass: 'retry-safe', reason: 'network' });
  });

  it('a connection that was never made (nothing listens) is refused: the vendor got nothing', async () => {
    const closedUrl = vendor.baseUrl;
    await vendor.close();
    const { provider, logLines } = setup({ baseUrl: closedUrl });
    const error = await caught(provider.sendTest(invitation()));
    expect(error.code).toBe('PROVIDER_API');
    expect(error.details).toMatchObject({
      status: null,
      failureClass: 'retry-safe',
      reason: 'refused',
      path: '/send_test',
    });
    expect(error.message).toMatch(
      /^Could not connect to the assessment vendor for POST \/send_test: .*ECONNREFUSED/,
    );
    expect(logLines.some((line) => line.includes('"reason":"refused"'))).toBe(true);
    vendor = await startVendorSimulator({ apiKeys: [API_KEY], tests: TESTS });
  });

  it('reads the system error code however deep fetch nests it (no such host, several addresses)', async () => {
    const systemError = (code: string) => Object.assign(new Error(`getaddrinfo ${code}`), { code });
    const failing =
      (cause: unknown): typeof fetch =>
      async () => {
        throw new TypeError('fetch failed', { cause });
      };
    const reasonFor = async (cause: unknown) =>
      (await caught(setup({ http: failing(cause) }).provider.listTests())).details.reason;

    expect(await reasonFor(systemError('ENOTFOUND'))).toBe('refused');
    expect(await reasonFor(new Error('wrapped', { cause: systemError('EAI_AGAIN') }))).toBe('refused');
    const everyAddress = new AggregateError([systemError('ECONNREFUSED'), systemError('ENETUNREACH')]);
    expect(await reasonFor(everyAddress)).toBe('refused');
    expect(await reasonFor(systemError('EHOSTUNREACH'))).toBe('refused');
    // After connecting, or without a code, the vendor may have the request.
    expect(await reasonFor(systemError('ECONNRESET'))).toBe('network');
    expect(await reasonFor(new AggregateError([systemError('ECONNREFUSED'), systemError('ETIMEDOUT')]))).toBe(
      'network',
    );
    expect(await reasonFor(new Error('other side closed'))).toBe('network');
  });

  it('a send_test answer without partner_interview_id is in doubt (a 2xx: the vendor acted) and reported to the vendor', async () => {
    vendor.fault({ path: /^\/send_test$/, body: { id: 'pi-7' } });
    const { provider } = setup();
    const error = await caught(provider.sendTest(invitation()));
    expect(error.code).toBe('PROVIDER_API');
    expect(error.details).toMatchObject({
      status: 200,
      failureClass: 'in-doubt',
      reason: 'malformed',
      path: '/send_test',
    });
    expect(error.message).toContain('partner_interview_id');
    expect(vendor.responseErrors()).toEqual([
      {
        api_call: 'send_test',
        errors: ['send_test answered without a partner_interview_id'],
        partner_test_id: 'ts-backend',
      },
    ]);
    expect(vendor.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/response_error',
      apiKey: API_KEY,
    });
  });

  it('a complete status without partner_profile_url is final and reported to the vendor', async () => {
    vendor.fault({
      path: /^\/test_status$/,
      body: { partner_status: 'complete', partner_score: 90, partner_profile_url: null, metadata: {} },
    });
    const { provider } = setup();
    const error = await caught(provider.getStatus('pi-3'));
    expect(error.details).toMatchObject({ failureClass: 'final', reason: 'malformed' });
    expect(vendor.responseErrors()).toEqual([
      {
        api_call: 'test_status',
        errors: ['partner_status is complete but partner_profile_url is missing'],
        partner_interview_id: 'pi-3',
      },
    ]);
  });

  it('a list_tests answer that is not a list is final, even when reporting it fails too', async () => {
    vendor.fault({ path: /^\/list_tests$/, body: { tests: [] } });
    vendor.fault({ path: /^\/response_error$/, status: 503 });
    const { provider, logLines } = setup();
    const error = await caught(provider.listTests());
    expect(error.details).toMatchObject({ failureClass: 'final', reason: 'malformed' });
    expect(vendor.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /list_tests 200',
      'POST /response_error 503',
    ]);
    expect(logLines.some((line) => line.includes('could not report a malformed answer'))).toBe(true);
  });

  it('refuses a configuration it cannot use', () => {
    const log = pino({ level: 'silent' });
    expect(() => createGreenhousePartnerProvider({ baseUrl: vendor.baseUrl, apiKey: '', log })).toThrow(
      RangeError,
    );
    expect(() => createGreenhousePartnerProvider({ baseUrl: 'ftp://x', apiKey: API_KEY, log })).toThrow(
      RangeError,
    );
  });
});

describe('the failure classes of vendor calls, against a vendor that fails before or after acting', () => {
  const cases: Array<[string, VendorFault, 'retry-safe' | 'in-doubt', number]> = [
    ['429 before acting', { status: 429 }, 'retry-safe', 0],
    ['503 before acting', { status: 503 }, 'retry-safe', 0],
    ['500 after acting', { status: 500, acted: true }, 'in-doubt', 1],
    ['502 after acting', { status: 502, acted: true }, 'in-doubt', 1],
    ['504 after acting', { status: 504, acted: true }, 'in-doubt', 1],
    ['502 before acting (stagegate cannot tell the difference)', { status: 502 }, 'in-doubt', 0],
    ['the connection dropped after acting', { lostAnswer: true }, 'in-doubt', 1],
    ['the connection dropped before acting', { reset: true }, 'in-doubt', 0],
  ];

  it.each(cases)('send_test, %s: %s', async (_what, fault, failureClass, sendsAtVendor) => {
    vendor.fault({ path: /^\/send_test$/, ...fault });
    const { provider } = setup();
    const error = await caught(provider.sendTest(invitation()));
    expect(error.code).toBe('PROVIDER_API');
    expect(error.details).toMatchObject({ failureClass, path: '/send_test' });
    expect(vendor.sends()).toHaveLength(sendsAtVendor);
    expect(vendor.requests.filter((r) => r.path === '/send_test')).toHaveLength(1);
  });

  it('a 502 or a dropped connection on test_status is retry-safe: asking again changes nothing', async () => {
    const { provider } = setup();
    await provider.sendTest(invitation());
    vendor.fault({ path: /^\/test_status$/, status: 502, acted: true });
    expect((await caught(provider.getStatus('pi-1'))).details).toMatchObject({
      status: 502,
      failureClass: 'retry-safe',
    });
    vendor.fault({ path: /^\/test_status$/, lostAnswer: true });
    expect((await caught(provider.getStatus('pi-1'))).details).toMatchObject({
      reason: 'network',
      failureClass: 'retry-safe',
    });
    await expect(provider.getStatus('pi-1')).resolves.toMatchObject({ status: 'sent' });
  });
});

describe('a vendor that answers with a redirect to another host', () => {
  it('is a final answer, not followed: the key and the candidate never reach the other host', async () => {
    const elsewhere: string[] = [];
    const servers: Server[] = [];
    const listen = async (server: Server) => {
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    };
    try {
      const otherPort = await listen(
        createServer((req, res) => {
          elsewhere.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
          res.end('{"partner_interview_id":"stolen"}');
        }),
      );
      const port = await listen(
        createServer((_req, res) => {
          // 307 keeps the method and body: a follower would post the candidate to the other host.
          res.writeHead(307, { location: `http://localhost:${otherPort}/collect` }).end();
        }),
      );
      const { provider } = setup({ baseUrl: `http://127.0.0.1:${port}/partner` });
      const error = await caught(provider.sendTest(invitation()));
      expect(error.code).toBe('PROVIDER_API');
      expect(error.details).toMatchObject({ status: 307, failureClass: 'final' });
      expect(elsewhere).toEqual([]);
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });
});
