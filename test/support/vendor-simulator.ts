/**
 * A local assessment vendor: a real HTTP server on 127.0.0.1, port 0, that speaks Greenhouse's
 * Assessment Partner API (list_tests, send_test, test_status, response_error), keeps invitations in
 * memory, records every request, fails on demand (before acting, or after: `acted` with a 500, 502
 * or 504, `lostAnswer` for a connection dropped once the invitation exists), and calls the callback
 * URL back with `PATCH` when an invitation is completed. Strict where the protocol is explicit
 * (/work/shared/reference/assessment-provider-protocol.md): Basic auth with the key as user name and
 * an empty password (else 401), the documented fields only, each required one present. Assumptions
 * where the protocol is silent are marked.
 */

import { isRecord } from '../../src/kernel/json.js';
import {
  type Answer,
  type Received,
  type RecordedRequest,
  type SimulatedFault,
  startSimulatedHttp,
} from './simulated-http.js';

export interface VendorSimulatorOptions {
  /** Keys accepted as the Basic auth user name. */
  apiKeys: readonly string[];
  tests: ReadonlyArray<{ id: string; name: string }>;
  /** 0 (a free port) unless given. */
  port?: number;
}

export type VendorRequest = RecordedRequest;

/** Latency, a reset, a hang (`timeout`), an error status (after acting, with `acted`) or a malformed body. */
export interface VendorFault extends SimulatedFault {
  /** Answer this status: with `body` when given, else with `{errors}`. */
  status?: number;
  errors?: string[];
  /** Answer this body as JSON (with `status`, 200 by default): a malformed answer. */
  body?: unknown;
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

const PREFIX = '/partner';

/** The fields the protocol documents, per body; any other is refused. */
const sendTestFields = ['partner_test_id', 'candidate', 'sent_by', 'url'];
const candidateFields = [
  'first_name',
  'last_name',
  'preferred_name',
  'email',
  'greenhouse_profile_url',
  'phone_number',
  'resume_url',
];
const responseErrorFields = [
  'api_call',
  'errors',
  'partner_test_id',
  'partner_interview_id',
  'candidate_email',
];

export async function startVendorSimulator(options: VendorSimulatorOptions): Promise<VendorSimulator> {
  const apiKeys = new Set(options.apiKeys);
  const tests = new Map(options.tests.map((test) => [test.id, test.name]));
  const interviews = new Map<string, Interview>();
  const sends: VendorSend[] = [];
  const responseErrors: unknown[] = [];
  let sequence = 0;

  const error = (status: number, ...errors: string[]): Answer => ({ status, body: { errors } });

  function sendTest(body: unknown): Answer {
    if (!isRecord(body)) return error(400, 'body must be a JSON object');
    const unknownFields = unknownOf(body, sendTestFields);
    if (unknownFields !== undefined) return unknownFields;
    const testId = body.partner_test_id;
    if (typeof testId !== 'string' || !tests.has(testId)) {
      return error(404, `unknown partner_test_id ${String(testId)}`);
    }
    const candidate = body.candidate;
    if (!isRecord(candidate)) return error(400, 'candidate is required');
    const unknownCandidate = unknownOf(candidate, candidateFields, 'candidate.');
    if (unknownCandidate !== undefined) return unknownCandidate;
    for (const name of ['first_name', 'last_name', 'email']) {
      if (typeof candidate[name] !== 'string' || candidate[name] === '') return error(400, `missing ${name}`);
    }
    // Required by the protocol, and (its convention) null rather than missing when unknown.
    for (const name of ['preferred_name', 'greenhouse_profile_url']) {
      if (!(name in candidate)) return error(400, `missing ${name}`);
      if (candidate[name] !== null && typeof candidate[name] !== 'string') {
        return error(400, `${name} must be a string or null`);
      }
    }
    for (const name of ['phone_number', 'resume_url']) {
      if (candidate[name] !== undefined && candidate[name] !== null && typeof candidate[name] !== 'string') {
        return error(400, `${name} must be a string or null`);
      }
    }
    if (body.sent_by !== undefined && body.sent_by !== null && typeof body.sent_by !== 'string') {
      return error(400, 'sent_by must be a string or null');
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
    const unknownParameters = unknownOf(query, ['partner_interview_id'], 'parameter ');
    if (unknownParameters !== undefined) return unknownParameters;
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

  function responseError(body: unknown): Answer {
    if (!isRecord(body)) return error(400, 'body must be a JSON object');
    const unknownFields = unknownOf(body, responseErrorFields);
    if (unknownFields !== undefined) return unknownFields;
    if (typeof body.api_call !== 'string' || body.api_call === '') return error(400, 'missing api_call');
    if (!Array.isArray(body.errors)) return error(400, 'errors must be a list');
    responseErrors.push(structuredClone(body));
    return { status: 200, body: {} };
  }

  /** A 400 naming the fields the protocol does not list, or undefined when there are none. */
  function unknownOf(
    fields: Record<string, unknown>,
    known: readonly string[],
    lead = '',
  ): Answer | undefined {
    const unknown = Object.keys(fields).filter((key) => !known.includes(key));
    return unknown.length === 0
      ? undefined
      : error(400, ...unknown.map((key) => `unknown field ${lead}${key}`));
  }

  function route(method: string, path: string, query: Record<string, string>, body: unknown): Answer {
    if (method === 'GET' && path === '/list_tests') {
      const unknownParameters = unknownOf(query, [], 'parameter ');
      if (unknownParameters !== undefined) return unknownParameters;
      return {
        status: 200,
        body: [...tests].map(([id, name]) => ({ partner_test_id: id, partner_test_name: name })),
      };
    }
    if (method === 'POST' && path === '/send_test') return sendTest(body);
    if (method === 'GET' && path === '/test_status') return testStatus(query);
    if (method === 'POST' && path === '/response_error') return responseError(body);
    return error(404, `no route for ${method} ${path}`);
  }

  function serve({ request, text, underBase, headers }: Received): Answer {
    if (!underBase) return error(404, `no route for ${request.path}`);
    // The key as user name, with an empty password.
    if (request.apiKey === null || !apiKeys.has(request.apiKey) || !emptyPassword(headers.authorization)) {
      return error(401, 'invalid api key');
    }
    if (request.method === 'POST') {
      // Assumption: the protocol's bodies are JSON; a vendor refuses any other media type.
      const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') return error(415, 'the body must be application/json');
    }
    if (text !== '' && typeof request.body === 'string') return error(400, 'body is not valid JSON');
    return route(request.method, request.path, request.query, request.body);
  }

  const server = await startSimulatedHttp<VendorFault>({
    basePath: PREFIX,
    error,
    faultAnswer(fault) {
      if (fault.body !== undefined) return { status: fault.status ?? 200, body: fault.body };
      if (fault.status !== undefined) return error(fault.status, ...(fault.errors ?? ['injected fault']));
      return undefined;
    },
    route: serve,
    ...(options.port === undefined ? {} : { port: options.port }),
  });

  function interview(id: string): Interview {
    const found = interviews.get(id);
    if (found === undefined) throw new Error(`no interview ${id} in the vendor simulator`);
    return found;
  }

  return {
    baseUrl: server.baseUrl,
    requests: server.requests,
    clearRequests: server.clearRequests,
    fault: server.fault,
    clearFaults: server.clearFaults,
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
    close: server.close,
  };
}

/** Whether Basic credentials carry `user:` and nothing after the colon. */
function emptyPassword(header: string | undefined): boolean {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  return decoded.endsWith(':') && decoded.indexOf(':') === decoded.length - 1;
}
