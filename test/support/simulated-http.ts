/**
 * The plumbing the Lever and vendor simulators share: a real HTTP server on 127.0.0.1, port 0, that
 * records every request, applies the first fault that matches it (latency, a reset, a hang, or an
 * answer the simulator renders in its own error format), and hands the rest to the simulator.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Relative to the base URL (`/opportunities/o1`, `/send_test`). */
  path: string;
  /** Repeated parameters are joined with commas: see `search` for what was sent. */
  query: Record<string, string>;
  /** The query string as sent, without the `?`: tells `a=1&a=2` from `a=1,2`. */
  search: string;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  /** The Basic auth user name, whether accepted or not; null without Basic auth. */
  apiKey: string | null;
  /** The status answered; null while pending, or when the socket was reset or left hanging. */
  status: number | null;
  /** Why an injected fault left it unanswered: the socket was reset, or left hanging (timeout). */
  unanswered?: 'reset' | 'timeout';
}

export interface SimulatedFault {
  /** How many matching requests it hits; default 1. */
  times?: number;
  /** Only requests whose path (relative to the base URL) matches. */
  path?: RegExp;
  method?: string;
  /** Answer this status, in the simulator's error format. */
  status?: number;
  /** Wait this long (real time) before answering or failing. */
  latencyMs?: number;
  /** Wait until this settles before answering or failing: the test decides when (no real time). */
  held?: Promise<unknown>;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Never answer. */
  timeout?: boolean;
  /** Carry the request out, then destroy the socket: the effect happened, the answer is lost. */
  lostAnswer?: boolean;
  /**
   * Carry the request out, then answer the fault's `status` instead of the real answer: a backend
   * that acted and then failed, or a gateway in front of it that gave up (500, 502, 504).
   */
  acted?: boolean;
}

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A request past the faults, for the simulator to answer. */
export interface Received {
  request: RecordedRequest;
  /** The body as sent. */
  text: string;
  /** Every query parameter, repeated ones one by one, in the order sent. */
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** False when the URL is outside the base URL (the recorded path is then the whole pathname). */
  underBase: boolean;
}

export interface SimulatedHttpOptions<F extends SimulatedFault> {
  /** What the base URL adds to the origin (`/v1`, `/partner`); recorded paths are relative to it. */
  basePath: string;
  /** An error answer in the simulator's format; also what a crash of `route` answers with (500). */
  error(status: number, message: string): Answer;
  /** The answer a fault asks for (a status, a body), or undefined when it asks for none. */
  faultAnswer(fault: F): Answer | undefined;
  route(received: Received): Answer;
  /** The port to listen on; 0 (the default, for tests) takes a free one. `npm run sim` uses fixed ones. */
  port?: number;
}

export interface SimulatedHttp<F extends SimulatedFault> {
  readonly baseUrl: string;
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
  fault(fault: F): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export async function startSimulatedHttp<F extends SimulatedFault>(
  options: SimulatedHttpOptions<F>,
): Promise<SimulatedHttp<F>> {
  const { basePath } = options;
  const requests: RecordedRequest[] = [];
  let faults: Array<F & { left: number }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  function takeFault(method: string, path: string): F | undefined {
    const fault = faults.find(
      (f) => f.left > 0 && (f.method === undefined || f.method === method) && (f.path?.test(path) ?? true),
    );
    if (fault === undefined) return undefined;
    fault.left -= 1;
    faults = faults.filter((f) => f.left > 0);
    return fault;
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
    const underBase = url.pathname.startsWith(`${basePath}/`);
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: underBase ? url.pathname.slice(basePath.length) : url.pathname,
      query,
      search: url.search.replace(/^\?/, ''),
      body: parseBody(text),
      apiKey: readBasicUser(req.headers.authorization),
      status: null,
    };
    requests.push(request);
    const received: Received = { request, text, underBase, params: url.searchParams, headers: req.headers };

    const answer = (result: Answer) => {
      if (closed || res.destroyed) return;
      request.status = result.status;
      res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8', ...result.headers });
      res.end(JSON.stringify(result.body));
    };

    const fault = takeFault(request.method, request.path);
    if (fault?.latencyMs !== undefined) await wait(fault.latencyMs);
    if (fault?.held !== undefined) await fault.held.catch(() => {});
    if (closed) return;
    if (fault?.reset === true) {
      request.unanswered = 'reset';
      req.socket.destroy();
      return;
    }
    if (fault?.timeout === true) {
      request.unanswered = 'timeout';
      return;
    }
    if (fault?.lostAnswer === true) {
      options.route(received);
      request.unanswered = 'reset';
      req.socket.destroy();
      return;
    }
    const injected = fault === undefined ? undefined : options.faultAnswer(fault);
    // The effect happens; the injected answer replaces the real one.
    if (fault?.acted === true && injected !== undefined) options.route(received);
    answer(injected ?? options.route(received));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((cause: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        const crash = options.error(500, String(cause));
        res.writeHead(crash.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(crash.body));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}${basePath}`,
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

/** Parsed JSON, the text itself when it is not JSON, undefined when empty. */
export function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function readBasicUser(header: string | undefined): string | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}
