/**
 * A local assessment vendor: a real HTTP server on 127.0.0.1, port 0, that speaks Greenhouse's
 * Assessment Partner API (list_tests, send_test, test_status, response_error), keeps invitations in
 * memory, records every request, fails on demand, and calls the callback URL back with `PATCH` when
 * an invitation is completed. Assumptions where the protocol is silent are marked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VendorSimulatorOptions {
  /** Keys accepted as the Basic auth user name. */
  apiKeys: readonly string[];
  tests: ReadonlyArray<{ id: string; name: string }>;
}

export interface VendorRequest {
  method: string;
  /** Relative to the base URL (`/send_test`). */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  /** The Basic auth user name, whether accepted or not; null without Basic auth. */
  apiKey: string | null;
  /** The status answered; null while pending, or when the socket was reset or left hanging. */
  status: number | null;
}

export interface VendorFault {
  /** How many matching requests it hits; default 1. */
  times?: number;
  /** Only requests whose path (relative to the base URL) matches. */
  path?: RegExp;
  method?: string;
  /** Answer this status: with `body` when given, else with `{errors}`. */
  status?: number;
  errors?: string[];
  /** Answer this body as JSON (with `status`, 200 by default): a malformed answer. */
  body?: unknown;
  /** Wait this long (real time) before answering or failing. */
  latencyMs?: number;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Never answer. */
  timeout?: boolean;
}

export interface VendorSend {
  partnerInterviewId: string;
  /** The send_test body as received. */
  body: Record<string, unknown>;
}

export interface VendorSimulator {
  /** Plays the role of the vendor's partner API root. */
  readonly baseUrl: string;
  readonly requests: readonly VendorRequest[];
  clearRequests(): void;
  fault(fault: VendorFault): void;
  clearFaults(): void;
  /** Every accepted send_test, oldest first. */
  sends(): VendorSend[];
  /** Bodies received on response_error. */
  responseErrors(): unknown[];
  /** The candidate opened the test. */
  start(partnerInterviewId: string): void;
  /** Marks the interview complete, then `PATCH`es its callback URL; resolves to the callback's status. */
  complete(
    partnerInterviewId: string,
    result: { score: number | null; profileUrl?: string },
  ): Promise<number>;
  close(): Promise<void>;
}

interface Interview {
  id: string;
  testId: string;
  callbackUrl: string;
  status: 'sent' | 'started' | 'complete';
  score: number | null;
  profileUrl: string | null;
}

interface Answer {
  status: number;
  body: unknown;
}

const PREFIX = '/partner';

export async function startVendorSimulator(options: VendorSimulatorOptions): Promise<VendorSimulator> {
  const apiKeys = new Set(options.apiKeys);
  const tests = new Map(options.tests.map((test) => [test.id, test.name]));
  const interviews = new Map<string, Interview>();
  const sends: VendorSend[] = [];
  const responseErrors: unknown[] = [];
  const requests: VendorRequest[] = [];
  let faults: Array<VendorFault & { left: number }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let sequence = 0;
  let closed = false;

  const error = (status: number, ...errors: string[]): Answer => ({ status, body: { errors } });

  function takeFault(method: string, path: string): VendorFault | undefined {
    const fault = faults.find(
      (f) => f.left > 0 && (f.method === undefined || f.method === method) && (f.path?.test(path) ?? true),
    );
    if (fault === undefined) return undefined;
    fault.left -= 1;
    faults = faults.filter((f) => f.left > 0);
    return fault;
  }

  function sendTest(body: unknown): Answer {
    if (!isRecord(body)) return error(400, 'body must be a JSON object');
    const testId = body.partner_test_id;
    if (typeof testId !== 'string' || !tests.has(testId)) {
      return error(404, `unknown partner_test_id ${String(testId)}`);
    }
    const candidate = body.candidate;
    if (!isRecord(candidate)) return error(400, 'candidate is required');
    for (const name of ['first_name', 'last_name', 'email']) {
      if (typeof candidate[name] !== 'string' || candidate[name] === '') return error(400, `missing ${name}`);
    }
    if (!String(candidate.email).includes('@')) return error(400, 'invalid email');
    // Assumption: the protocol does not say what happens without a callback; this vendor refuses.
    if (typeof body.url !== 'string' || body.url === '') return error(400, 'url is required');
    const id = `pi-${++sequence}`;
    interviews.set(id, {
      id,
      testId,
      callbackUrl: body.url,
      status: 'sent',
      score: null,
      profileUrl: null,
    });
    sends.push({ partnerInterviewId: id, body: structuredClone(body) });
    return { status: 200, body: { partner_interview_id: id } };
  }

  function testStatus(query: Record<string, string>): Answer {
    const id = query.partner_interview_id;
    const interview = id === undefined ? undefined : interviews.get(id);
    if (interview === undefined) return error(404, `unknown partner_interview_id ${String(id)}`);
    return {
      status: 200,
      body: {
        partner_status: interview.status,
        partner_profile_url: interview.profileUrl,
        partner_score: interview.score,
        metadata: { test_name: tests.get(interview.testId) ?? null },
      },
    };
  }

  function route(method: string, path: string, query: Record<string, string>, body: unknown): Answer {
    if (method === 'GET' && path === '/list_tests') {
      return {
        status: 200,
        body: [...tests].map(([id, name]) => ({ partner_test_id: id, partner_test_name: name })),
      };
    }
    if (method === 'POST' && path === '/send_test') return sendTest(body);
    if (method === 'GET' && path === '/test_status') return testStatus(query);
    if (method === 'POST' && path === '/response_error') {
      responseErrors.push(structuredClone(body));
      return { status: 200, body: {} };
    }
    return error(404, `no route for ${method} ${path}`);
  }

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
    const text = await readText(req);
    const record: VendorRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.startsWith(`${PREFIX}/`) ? url.pathname.slice(PREFIX.length) : url.pathname,
      query,
      body: parseBody(text),
      apiKey: readBasicUser(req.headers.authorization),
      status: null,
    };
    requests.push(record);

    const answer = (result: Answer) => {
      if (closed || res.destroyed) return;
      record.status = result.status;
      res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(result.body));
    };

    const fault = takeFault(record.method, record.path);
    if (fault?.latencyMs !== undefined) await wait(fault.latencyMs);
    if (closed) return;
    if (fault?.reset === true) {
      req.socket.destroy();
      return;
    }
    if (fault?.timeout === true) return;
    if (fault?.body !== undefined) return answer({ status: fault.status ?? 200, body: fault.body });
    if (fault?.status !== undefined)
      return answer(error(fault.status, ...(fault.errors ?? ['injected fault'])));

    if (!url.pathname.startsWith(`${PREFIX}/`)) return answer(error(404, `no route for ${url.pathname}`));
    if (record.apiKey === null || !apiKeys.has(record.apiKey)) return answer(error(401, 'invalid api key'));
    if (text !== '' && typeof record.body === 'string') return answer(error(400, 'body is not valid JSON'));
    answer(route(record.method, record.path, query, record.body));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((cause: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [String(cause)] }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  function interview(id: string): Interview {
    const found = interviews.get(id);
    if (found === undefined) throw new Error(`no interview ${id} in the vendor simulator`);
    return found;
  }

  return {
    baseUrl: `http://127.0.0.1:${port}${PREFIX}`,
    requests,
    clearRequests() {
      requests.length = 0;
    },
    fault(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults = [];
    },
    sends() {
      return structuredClone(sends);
    },
    responseErrors() {
      return structuredClone(responseErrors);
    },
    start(id) {
      interview(id).status = 'started';
    },
    async complete(id, result) {
      const found = interview(id);
      found.status = 'complete';
      found.score = result.score;
      found.profileUrl = result.profileUrl ?? `https://vendor.example/reports/${encodeURIComponent(id)}`;
      // As the protocol says: PATCH with no body; the receiver then asks test_status.
      const response = await fetch(found.callbackUrl, { method: 'PATCH' });
      await response.arrayBuffer();
      return response.status;
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hanging requests (timeout faults) and keep-alive sockets would hold close() open.
      server.closeAllConnections();
      await stopped;
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readBasicUser(header: string | undefined): string | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}
