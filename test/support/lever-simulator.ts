/**
 * A local Lever: a real HTTP server on 127.0.0.1, port 0, that speaks the part of REST API v1
 * stagegate uses, keeps state in memory, records every request, fails on demand, and sends signed
 * webhooks the way Lever does. Assumptions where Lever's documentation is silent are marked.
 */
import { randomBytes } from 'node:crypto';
import { signLeverWebhook } from '../../src/lever/sign-webhook.js';
import type {
  Application,
  Archived,
  LeverErrorBody,
  Opportunity,
  Posting,
  Stage,
} from '../../src/lever/types.js';
import {
  type Answer,
  parseBody,
  type Received,
  type RecordedRequest,
  type SimulatedFault,
  startSimulatedHttp,
} from './simulated-http.js';

export interface LeverSimulatorOptions {
  /** Keys accepted as the Basic auth user name. */
  apiKeys: readonly string[];
  /** Lever's per-key limit: 10/s, bursts to 20. `false` turns it off. Uses real time. */
  rateLimit?: { perSecond?: number; burst?: number } | false;
  /** Time for timestamps, the rate limit and webhooks; defaults to Date.now. */
  now?: () => number;
}

export type SimulatedRequest = RecordedRequest;

/** Latency, a reset, a hang (`timeout`) or an error status (with Retry-After). */
export interface LeverFault extends SimulatedFault {
  /** Answer this status with a Lever error body. */
  status?: number;
  code?: string;
  message?: string;
  /** Sent as the Retry-After header: seconds, or a string such as an HTTP date. */
  retryAfter?: number | string;
}

export interface SeedOpportunity {
  id?: string;
  name?: string;
  /** Opportunities of one contact share links, as in Lever. */
  contactId?: string;
  emails?: string[];
  tags?: string[];
  links?: string[];
  /** Defaults to the first stage added (a "New lead" stage is made when there is none). */
  stageId?: string;
  /** One application per posting id. */
  postingIds?: string[];
  archived?: Archived | null;
  origin?: string;
  sources?: string[];
  createdAt?: number;
}

export interface SimulatedNote {
  id: string;
  value: string;
  secret: boolean;
  score?: number;
  performAs?: string;
  createdAt: number;
}

export interface WebhookDelivery {
  url: string;
  event: string;
  data: unknown;
  signatureToken: string;
  triggeredAt?: number;
  /** Random by default; pass one to replay a delivery. */
  token?: string;
  /** The optional event id in the envelope; left out by default. */
  id?: string;
  /** Overrides the computed signature, to send a forged one. */
  signature?: string;
}

export interface WebhookResult {
  status: number;
  /** Parsed JSON when the answer is JSON, else its text. */
  body: unknown;
  /** The envelope that was posted. */
  payload: Record<string, unknown>;
}

export interface LeverSimulator {
  /** Plays the role of `https://api.lever.co/v1`. */
  readonly baseUrl: string;
  readonly requests: readonly SimulatedRequest[];
  clearRequests(): void;
  fault(fault: LeverFault): void;
  clearFaults(): void;
  addStage(stage?: Partial<Stage>): Stage;
  addPosting(posting?: Partial<Posting>): Posting;
  addOpportunity(seed?: SeedOpportunity): Opportunity;
  /** The opportunity as the API shows it unexpanded; a copy. */
  getOpportunity(id: string): Opportunity | undefined;
  notes(opportunityId: string): SimulatedNote[];
  deliverWebhook(delivery: WebhookDelivery): Promise<WebhookResult>;
  close(): Promise<void>;
}

interface StoredOpportunity {
  id: string;
  name: string;
  contactId: string;
  emails: string[];
  tags: string[];
  stageId: string;
  applications: Application[];
  archived: Archived | null;
  origin: string;
  sources: string[];
  createdAt: number;
  updatedAt: number;
}

const ERROR_CODES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'ResourceNotFound',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

export async function startLeverSimulator(options: LeverSimulatorOptions): Promise<LeverSimulator> {
  const now = options.now ?? Date.now;
  const apiKeys = new Set(options.apiKeys);
  const limit = options.rateLimit === false ? undefined : { perSecond: 10, burst: 20, ...options.rateLimit };

  const stages = new Map<string, Stage>();
  const postings = new Map<string, Posting>();
  const opportunities = new Map<string, StoredOpportunity>();
  const linksByContact = new Map<string, string[]>();
  const notesByOpportunity = new Map<string, SimulatedNote[]>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sequence = 0;

  const nextId = (prefix: string) => `${prefix}-${++sequence}`;

  function error(status: number, message: string, code = ERROR_CODES[status] ?? 'Error'): Answer {
    const body: LeverErrorBody = { code, message };
    return { status, body };
  }

  function takeRateToken(apiKey: string): boolean {
    if (limit === undefined) return true;
    const t = now();
    const bucket = buckets.get(apiKey) ?? { tokens: limit.burst, at: t };
    bucket.tokens = Math.min(
      limit.burst,
      bucket.tokens + (Math.max(0, t - bucket.at) * limit.perSecond) / 1000,
    );
    bucket.at = t;
    buckets.set(apiKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  function render(opportunity: StoredOpportunity, expand: ReadonlySet<string>): Opportunity {
    const stage = stages.get(opportunity.stageId);
    return structuredClone({
      id: opportunity.id,
      name: opportunity.name,
      contact: expand.has('contact')
        ? { id: opportunity.contactId, name: opportunity.name, emails: opportunity.emails }
        : opportunity.contactId,
      emails: opportunity.emails,
      tags: opportunity.tags,
      links: linksByContact.get(opportunity.contactId) ?? [],
      stage: expand.has('stage') && stage !== undefined ? stage : opportunity.stageId,
      archived: opportunity.archived,
      applications: expand.has('applications')
        ? opportunity.applications
        : opportunity.applications.map((application) => application.id),
      origin: opportunity.origin,
      sources: opportunity.sources,
      createdAt: opportunity.createdAt,
      updatedAt: opportunity.updatedAt,
      urls: {
        list: 'https://hire.lever.co/candidates',
        show: `https://hire.lever.co/candidates/${opportunity.id}`,
      },
    });
  }

  function stringList(body: unknown, field: string): string[] | undefined {
    if (typeof body !== 'object' || body === null) return undefined;
    const value = (body as Record<string, unknown>)[field];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return undefined;
    return value;
  }

  function field(body: unknown, name: string): unknown {
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  }

  function listOpportunities(query: Record<string, string>): Answer {
    const limitParam = query.limit ?? '100';
    const pageSize = Number(limitParam);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      return error(400, `limit must be an integer from 1 to 100, got ${limitParam}`);
    }
    let start = 0;
    if (query.offset !== undefined) {
      const decoded = /^o:(\d+)$/.exec(Buffer.from(query.offset, 'base64url').toString('utf8'));
      if (decoded?.[1] === undefined) return error(400, 'Invalid offset');
      start = Number(decoded[1]);
    }
    const stageIds = query.stage_id === undefined ? undefined : new Set(query.stage_id.split(','));
    const matching = [...opportunities.values()].filter(
      (o) => stageIds === undefined || stageIds.has(o.stageId),
    );
    const page = matching.slice(start, start + pageSize);
    const end = start + page.length;
    const hasNext = end < matching.length;
    return {
      status: 200,
      body: {
        data: page.map((o) => render(o, new Set())),
        hasNext,
        ...(hasNext ? { next: Buffer.from(`o:${end}`, 'utf8').toString('base64url') } : {}),
      },
    };
  }

  function changeOpportunity(
    opportunity: StoredOpportunity,
    method: string,
    action: string,
    body: unknown,
    query: Record<string, string>,
  ): Answer {
    const touch = () => {
      opportunity.updatedAt = now();
      return { status: 200, body: { data: render(opportunity, new Set()) } };
    };
    if (method === 'POST' && (action === 'addTags' || action === 'removeTags')) {
      const tags = stringList(body, 'tags');
      if (tags === undefined) return error(400, 'tags must be an array of strings');
      opportunity.tags =
        action === 'addTags'
          ? [...new Set([...opportunity.tags, ...tags])]
          : opportunity.tags.filter((tag) => !tags.includes(tag));
      return touch();
    }
    if (method === 'POST' && (action === 'addLinks' || action === 'removeLinks')) {
      const links = stringList(body, 'links');
      if (links === undefined) return error(400, 'links must be an array of strings');
      const current = linksByContact.get(opportunity.contactId) ?? [];
      linksByContact.set(
        opportunity.contactId,
        action === 'addLinks'
          ? [...new Set([...current, ...links])]
          : current.filter((link) => !links.includes(link)),
      );
      return touch();
    }
    if (method === 'GET' && action === 'notes') {
      // Lever's note: the text is in `fields` (and, for a one-field note, in `text` too).
      const notes = (notesByOpportunity.get(opportunity.id) ?? []).map((note) => ({
        id: note.id,
        text: note.value,
        fields: [{ type: 'text', text: 'Comment', value: note.value }],
        user: note.performAs ?? 'user-api',
        secret: note.secret,
        completedAt: note.createdAt,
        createdAt: note.createdAt,
        deletedAt: null,
      }));
      return { status: 200, body: { data: notes, hasNext: false } };
    }
    if (method === 'POST' && action === 'notes') {
      const value = field(body, 'value');
      if (typeof value !== 'string' || value === '') return error(400, 'value must be a non-empty string');
      const score = field(body, 'score');
      if (
        score !== undefined &&
        !(Number.isInteger(score) && (score as number) >= 1 && (score as number) <= 4)
      ) {
        return error(400, 'score must be an integer from 1 to 4');
      }
      const note: SimulatedNote = {
        id: nextId('note'),
        value,
        secret: field(body, 'secret') === true,
        ...(score === undefined ? {} : { score: score as number }),
        ...(query.perform_as === undefined ? {} : { performAs: query.perform_as }),
        createdAt: now(),
      };
      const notes = notesByOpportunity.get(opportunity.id) ?? [];
      notes.push(note);
      notesByOpportunity.set(opportunity.id, notes);
      return { status: 201, body: { data: { noteId: note.id } } };
    }
    if (method === 'PUT' && action === 'stage') {
      const stageId = field(body, 'stage');
      if (typeof stageId !== 'string' || !stages.has(stageId)) {
        return error(400, `Unknown stage: ${String(stageId)}`);
      }
      opportunity.stageId = stageId;
      return touch();
    }
    if (method === 'PUT' && action === 'archived') {
      // Assumption: Lever does not document unarchiving here, so only archiving is simulated and
      // the reason id is not checked against a list of archive reasons.
      const reason = field(body, 'reason');
      if (typeof reason !== 'string' || reason === '')
        return error(400, 'reason must be an archive reason id');
      opportunity.archived = { reason, archivedAt: now() };
      return touch();
    }
    return error(404, `No route for ${method} /opportunities/${opportunity.id}/${action}`);
  }

  function route(method: string, path: string, query: Record<string, string>, body: unknown): Answer {
    const segments = path
      .split('/')
      .filter((segment) => segment !== '')
      .map(decodeURIComponent);
    const [resource, id, action, ...rest] = segments;
    if (rest.length > 0) return error(404, `No route for ${method} ${path}`);

    if (resource === 'opportunities') {
      if (id === undefined) {
        return method === 'GET' ? listOpportunities(query) : error(404, `No route for ${method} ${path}`);
      }
      const opportunity = opportunities.get(id);
      if (opportunity === undefined) return error(404, `Opportunity ${id} not found`);
      if (action === undefined) {
        if (method !== 'GET') return error(404, `No route for ${method} ${path}`);
        const expand = new Set((query.expand ?? '').split(',').filter((name) => name !== ''));
        return { status: 200, body: { data: render(opportunity, expand) } };
      }
      return changeOpportunity(opportunity, method, action, body, query);
    }
    if (resource === 'stages' && id === undefined && method === 'GET') {
      return { status: 200, body: { data: structuredClone([...stages.values()]), hasNext: false } };
    }
    if (resource === 'postings' && id !== undefined && action === undefined && method === 'GET') {
      const posting = postings.get(id);
      return posting === undefined
        ? error(404, `Posting ${id} not found`)
        : { status: 200, body: { data: structuredClone(posting) } };
    }
    if (resource === 'tags' && id === undefined && method === 'GET') {
      const counts = new Map<string, number>();
      for (const o of opportunities.values())
        for (const tag of o.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
      return {
        status: 200,
        body: { data: [...counts].map(([text, count]) => ({ text, count })), hasNext: false },
      };
    }
    return error(404, `No route for ${method} ${path}`);
  }

  function serve({ request, text, underBase }: Received): Answer {
    if (!underBase) return error(404, `No route for ${request.method} ${request.path}`);
    if (request.apiKey === null || !apiKeys.has(request.apiKey)) {
      return error(401, 'Invalid API key or missing Basic authentication');
    }
    if (!takeRateToken(request.apiKey)) return error(429, 'Rate limit exceeded');
    if (text !== '' && !isJson(text)) return error(400, 'Request body is not valid JSON');
    return route(request.method, request.path, request.query, request.body);
  }

  const server = await startSimulatedHttp<LeverFault>({
    basePath: '/v1',
    error,
    faultAnswer: (fault) =>
      fault.status === undefined
        ? undefined
        : {
            ...error(fault.status, fault.message ?? 'Injected fault', fault.code),
            ...(fault.retryAfter === undefined
              ? {}
              : { headers: { 'retry-after': String(fault.retryAfter) } }),
          },
    route: serve,
  });

  function addStage(stage: Partial<Stage> = {}): Stage {
    const created: Stage = { id: stage.id ?? nextId('stage'), text: stage.text ?? `Stage ${sequence}` };
    stages.set(created.id, created);
    return structuredClone(created);
  }

  return {
    baseUrl: server.baseUrl,
    requests: server.requests,
    clearRequests: server.clearRequests,
    fault: server.fault,
    clearFaults: server.clearFaults,
    addStage,
    addPosting(posting = {}) {
      const created: Posting = {
        id: posting.id ?? nextId('posting'),
        text: posting.text ?? `Posting ${sequence}`,
        tags: posting.tags ?? [],
      };
      postings.set(created.id, created);
      return structuredClone(created);
    },
    addOpportunity(seed = {}) {
      const firstStage = stages.values().next().value ?? addStage({ id: 'lead-new', text: 'New lead' });
      const id = seed.id ?? nextId('opp');
      const createdAt = seed.createdAt ?? now();
      const stored: StoredOpportunity = {
        id,
        name: seed.name ?? `Candidate ${id}`,
        contactId: seed.contactId ?? `contact-${id}`,
        emails: seed.emails ?? [`${id}@candidates.example`],
        tags: seed.tags ?? [],
        stageId: seed.stageId ?? firstStage.id,
        applications: (seed.postingIds ?? []).map((posting) => ({ id: nextId('application'), posting })),
        archived: seed.archived ?? null,
        origin: seed.origin ?? 'applied',
        sources: seed.sources ?? [],
        createdAt,
        updatedAt: createdAt,
      };
      opportunities.set(id, stored);
      if (seed.links !== undefined) {
        const current = linksByContact.get(stored.contactId) ?? [];
        linksByContact.set(stored.contactId, [...new Set([...current, ...seed.links])]);
      }
      return render(stored, new Set());
    },
    getOpportunity(id) {
      const stored = opportunities.get(id);
      return stored === undefined ? undefined : render(stored, new Set());
    },
    notes(opportunityId) {
      return structuredClone(notesByOpportunity.get(opportunityId) ?? []);
    },
    async deliverWebhook(delivery) {
      const triggeredAt = delivery.triggeredAt ?? now();
      const token = delivery.token ?? randomBytes(16).toString('hex');
      const payload: Record<string, unknown> = {
        ...(delivery.id === undefined ? {} : { id: delivery.id }),
        triggeredAt,
        event: delivery.event,
        data: delivery.data,
        signature: delivery.signature ?? signLeverWebhook(delivery.signatureToken, token, triggeredAt),
        token,
      };
      // Lever gives up on a delivery that gets no answer (and sends it again later); so does this.
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Lever-Webhooks' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      return { status: response.status, body: parseBody(text) ?? '', payload };
    },
    close: server.close,
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
