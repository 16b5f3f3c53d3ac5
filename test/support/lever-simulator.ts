/**
 * A local Lever: a real HTTP server on 127.0.0.1, port 0, that speaks the part of REST API v1
 * stagegate uses, keeps state in memory, records every request, fails on demand, and sends signed
 * webhooks the way Lever does. Assumptions where Lever's documentation is silent are marked.
 *
 * It is strict where the documentation (../shared/reference/lever-api.md) is explicit, not where
 * the client happens to be: Basic auth with the key as user name and an empty password; `expand`
 * one field per parameter (a comma-joined value expands nothing); lists paged with `limit` 1..100
 * and an opaque `offset` cursor; `perform_as` only where the documentation lists it; and a query
 * parameter, body field, content type or path it does not list is refused with Lever's
 * `{code, message}` (400, or 404 for a path).
 *
 * With `oauth`, it is also Lever's authorization server and serves the Webhooks Subscription API
 * (lever-simulator-oauth.ts), and delivers to the webhooks made there signed with the tokens it issued.
 */
import { randomBytes } from 'node:crypto';
import type {
  Application,
  Archived,
  LeverErrorBody,
  Opportunity,
  Posting,
  Stage,
} from '../../src/lever/types.js';
import { signLeverWebhook } from '../../src/lever/webhook-signature.js';
import {
  createOAuthSimulator,
  type SimulatedOAuthApp,
  type SimulatedWebhook,
} from './lever-simulator-oauth.js';
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
  /** Makes it an authorization server too, for this one app. */
  oauth?: SimulatedOAuthApp;
  /** Lever's per-key limit: 10/s, bursts to 20. `false` turns it off. Uses real time. */
  rateLimit?: { perSecond?: number; burst?: number } | false;
  /** Time for timestamps, the rate limit and webhooks; defaults to Date.now. */
  now?: () => number;
  /** Lever's web app, where `urls` point: `https://hire.lever.co` (default), a sandbox's own. */
  hireUrl?: string;
  /** 0 (a free port) unless given. */
  port?: number;
}

export type SimulatedRequest = RecordedRequest;

export type { SimulatedOAuthApp, SimulatedWebhook } from './lever-simulator-oauth.js';

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
  /**
   * From now on a page asked for with a cursor hands that same cursor back as its `next`: a Lever
   * whose paging goes round in circles (`hasNext` stays true, and the cursor repeats).
   */
  repeatCursors(): void;
  addStage(stage?: Partial<Stage>): Stage;
  addOpportunity(seed?: SeedOpportunity): Opportunity;
  /** A posting the API key may not read (a confidential one) answers 403. */
  addPosting(posting?: Partial<Posting> & { confidential?: boolean }): Posting;
  /** The opportunity as the API shows it unexpanded; a copy. */
  getOpportunity(id: string): Opportunity | undefined;
  /** Deletes it, as a Lever user would: the API answers 404 for it from now on. */
  deleteOpportunity(id: string): void;
  notes(opportunityId: string): SimulatedNote[];
  deliverWebhook(delivery: WebhookDelivery): Promise<WebhookResult>;
  /** `<origin>/authorize` and `<origin>/oauth/token`, when `oauth` is given. */
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  /** The scopes the next consent grants (default: what the app asks for); null to reset. */
  grantScopes(scopes: readonly string[] | null): void;
  /** The next consent is denied: Lever redirects back with `error=access_denied` and the state, no code. */
  declineConsent(): void;
  /** The customer removes the app in Lever: every grant's tokens stop working (invalid_grant, 401). */
  revokeGrants(): void;
  /** Every access token stops working before its time (401); the refresh tokens still work. */
  dropAccessTokens(): void;
  /**
   * Lever answers 401 to every access token, also to those a refresh issues after this; the refresh
   * tokens still work (Lever documents the 401, not why it would refuse a token it just issued).
   */
  refuseAccessTokens(): void;
  /** Every refresh token stops working (invalid_grant, as after long disuse); access tokens live out their hour. */
  expireRefreshTokens(): void;
  /** The webhooks made through the API, with the token each was created with. */
  webhooks(): (SimulatedWebhook & { signatureToken: string })[];
  /** Delivers `event` to every webhook registered for it, signed with its own token. */
  deliverRegistered(delivery: Omit<WebhookDelivery, 'url' | 'signatureToken'>): Promise<WebhookResult[]>;
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

/**
 * Lever documents the `{code, message}` shape with `ResourceNotFound` for a 404 (reference: REST
 * API v1, Errors). Assumption: the other code names are not documented; stagegate reads only the
 * status and keeps the code for the message, so nothing depends on these.
 */
const ERROR_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'ResourceNotFound',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

export async function startLeverSimulator(options: LeverSimulatorOptions): Promise<LeverSimulator> {
  const now = options.now ?? Date.now;
  const hireUrl = options.hireUrl ?? 'https://hire.lever.co';
  const apiKeys = new Set(options.apiKeys);
  const limit = options.rateLimit === false ? undefined : { perSecond: 10, burst: 20, ...options.rateLimit };

  const stages = new Map<string, Stage>();
  const postings = new Map<string, Posting>();
  const confidentialPostings = new Set<string>();
  const opportunities = new Map<string, StoredOpportunity>();
  const linksByContact = new Map<string, string[]>();
  const notesByOpportunity = new Map<string, SimulatedNote[]>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sequence = 0;
  let cursorsRepeat = false;
  const oauth = options.oauth;
  const nextId = (prefix: string) => `${prefix}-${++sequence}`;
  const authServer = createOAuthSimulator({
    app: oauth,
    now,
    nextId,
    error,
    checkParams,
    checkBody,
    page,
  });

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
        list: `${hireUrl}/candidates`,
        show: `${hireUrl}/candidates/${opportunity.id}`,
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

  /** A query parameter the route does not list, or a single-valued one given twice: 400. */
  function checkParams(
    params: URLSearchParams,
    allowed: { single?: readonly string[]; repeated?: readonly string[] },
  ): Answer | undefined {
    const single = new Set(allowed.single ?? []);
    const repeated = new Set(allowed.repeated ?? []);
    for (const name of new Set(params.keys())) {
      if (!single.has(name) && !repeated.has(name)) return error(400, `Unknown query parameter: ${name}`);
      if (single.has(name) && params.getAll(name).length > 1) {
        return error(400, `Query parameter ${name} may be given once`);
      }
      if (name === 'perform_as' && params.get(name) === '') return error(400, 'perform_as must be a user id');
    }
    return undefined;
  }

  /** A JSON object body with only the fields the documentation lists for the call: else 400. */
  function checkBody(received: Received, allowed: readonly string[]): Answer | undefined {
    const contentType = String(received.headers['content-type'] ?? '');
    if (!/^application\/json(\s*;|$)/i.test(contentType)) {
      return error(400, `Content-Type must be application/json, got ${contentType || 'none'}`);
    }
    const { body } = received.request;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return error(400, 'The body must be a JSON object');
    }
    const unknown = Object.keys(body).filter((name) => !allowed.includes(name));
    return unknown.length > 0 ? error(400, `Unknown body field: ${unknown.join(', ')}`) : undefined;
  }

  /**
   * One page of a list: `limit` 1..100 (default 100), `offset` the opaque `next` of the page before
   * (assumption: Lever's cursor format is not documented; this one is base64url, and any other value
   * is refused). `hasNext` is always there, `next` only when there is a next page.
   */
  function page<T>(items: readonly T[], params: URLSearchParams): Answer {
    const limitParam = params.get('limit') ?? '100';
    const pageSize = Number(limitParam);
    if (!/^\d+$/.test(limitParam) || pageSize < 1 || pageSize > 100) {
      return error(400, `limit must be an integer from 1 to 100, got ${limitParam}`);
    }
    let start = 0;
    const offset = params.get('offset');
    if (offset !== null) {
      const decoded = /^o:(\d+)$/.exec(Buffer.from(offset, 'base64url').toString('utf8'));
      if (decoded?.[1] === undefined) return error(400, 'Invalid offset');
      start = Number(decoded[1]);
    }
    const data = items.slice(start, start + pageSize);
    const end = start + data.length;
    const hasNext = end < items.length || (cursorsRepeat && offset !== null);
    const next =
      cursorsRepeat && offset !== null ? offset : Buffer.from(`o:${end}`, 'utf8').toString('base64url');
    return {
      status: 200,
      body: {
        data: structuredClone(data),
        hasNext,
        ...(hasNext ? { next } : {}),
      },
    };
  }

  /** `expand`, one field per parameter: a value Lever does not know (`stage,contact`) expands nothing. */
  function expandOf(params: URLSearchParams): ReadonlySet<string> {
    return new Set(params.getAll('expand'));
  }

  const paging = ['limit', 'offset'] as const;
  // Opportunity fields Lever documents as expandable; only the first three are simulated.
  const expandable = ['applications', 'stage', 'contact', 'owner', 'followers', 'sourcedBy'];

  function listOpportunities(params: URLSearchParams): Answer {
    // Assumption: Lever lists many more filters (tag, email, posting_id, …); stagegate uses none of
    // them, so they are not simulated and are refused like unknown ones.
    const refused = checkParams(params, { single: paging, repeated: ['stage_id', 'expand'] });
    if (refused) return refused;
    // `stage_id` may be repeated; a comma-joined value is one (unknown) stage id.
    const stageIds = params.has('stage_id') ? new Set(params.getAll('stage_id')) : undefined;
    const matching = [...opportunities.values()].filter(
      (o) => stageIds === undefined || stageIds.has(o.stageId),
    );
    const expand = expandOf(params);
    return page(
      matching.map((o) => render(o, expand)),
      params,
    );
  }

  function listNotes(opportunity: StoredOpportunity, params: URLSearchParams): Answer {
    const refused = checkParams(params, { single: paging });
    if (refused) return refused;
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
    return page(notes, params);
  }

  /** The writes stagegate makes, each with the body fields the documentation lists for it. */
  const writes: Record<string, { method: 'POST' | 'PUT'; fields: readonly string[] }> = {
    addTags: { method: 'POST', fields: ['tags'] },
    removeTags: { method: 'POST', fields: ['tags'] },
    addLinks: { method: 'POST', fields: ['links'] },
    removeLinks: { method: 'POST', fields: ['links'] },
    notes: { method: 'POST', fields: ['value', 'secret', 'score'] },
    stage: { method: 'PUT', fields: ['stage'] },
    archived: { method: 'PUT', fields: ['reason', 'cleanInterviews', 'requisitionId'] },
  };

  function changeOpportunity(
    opportunity: StoredOpportunity,
    method: string,
    action: string,
    received: Received,
  ): Answer {
    const { body } = received.request;
    const performAs = received.params.get('perform_as');
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
      const secret = field(body, 'secret');
      if (secret !== undefined && typeof secret !== 'boolean') return error(400, 'secret must be a boolean');
      const note: SimulatedNote = {
        id: nextId('note'),
        value,
        secret: secret === true,
        ...(score === undefined ? {} : { score: score as number }),
        ...(performAs === null ? {} : { performAs }),
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

  function route(received: Received): Answer {
    const { method, path } = received.request;
    const { params } = received;
    const noRoute = () => error(404, `No route for ${method} ${path}`);
    const segments = path
      .split('/')
      .filter((segment) => segment !== '')
      .map(decodeURIComponent);
    const [resource, id, action, ...rest] = segments;
    if (rest.length > 0) return noRoute();

    if (resource === 'opportunities') {
      if (id === undefined) return method === 'GET' ? listOpportunities(params) : noRoute();
      if (action === undefined) {
        if (method !== 'GET') return noRoute();
        const refused = checkParams(params, { repeated: ['expand'] });
        if (refused) return refused;
        const opportunity = opportunities.get(id);
        if (opportunity === undefined) return error(404, `Opportunity ${id} not found`);
        const expand = new Set([...expandOf(params)].filter((name) => expandable.includes(name)));
        return { status: 200, body: { data: render(opportunity, expand) } };
      }
      if (method === 'GET' && action === 'notes') {
        const opportunity = opportunities.get(id);
        return opportunity === undefined
          ? error(404, `Opportunity ${id} not found`)
          : listNotes(opportunity, params);
      }
      const write = writes[action];
      if (write === undefined || write.method !== method) return noRoute();
      // perform_as: optional on tags, links, notes, stage and archive (reference: REST API v1).
      const refused = checkParams(params, { single: ['perform_as'] }) ?? checkBody(received, write.fields);
      if (refused) return refused;
      const opportunity = opportunities.get(id);
      if (opportunity === undefined) return error(404, `Opportunity ${id} not found`);
      return changeOpportunity(opportunity, method, action, received);
    }
    if (resource === 'webhooks' && action === undefined)
      return authServer.routeWebhooks(method, id, received);
    if (method !== 'GET') return noRoute();
    if (resource === 'stages' && id === undefined) {
      return checkParams(params, { single: paging }) ?? page([...stages.values()], params);
    }
    if (resource === 'postings' && id !== undefined && action === undefined) {
      // Assumption: `expand` is accepted and ignored (posting expansions are not simulated).
      const refused = checkParams(params, { repeated: ['expand'] });
      if (refused) return refused;
      const posting = postings.get(id);
      if (posting === undefined) return error(404, `Posting ${id} not found`);
      // Assumption: Lever answers 403 for a confidential posting the key may not see.
      if (confidentialPostings.has(id)) return error(403, `Posting ${id} is confidential`);
      return { status: 200, body: { data: structuredClone(posting) } };
    }
    if (resource === 'tags' && id === undefined) {
      const refused = checkParams(params, { single: paging });
      if (refused) return refused;
      const counts = new Map<string, number>();
      for (const o of opportunities.values())
        for (const tag of o.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
      return page(
        [...counts].map(([text, count]) => ({ text, count })),
        params,
      );
    }
    return noRoute();
  }

  /** The API key from `Basic base64(key + ":")`: the key as user name, the password empty. */
  function apiKeyOf(authorization: string | undefined): string | undefined {
    const match = /^Basic ([A-Za-z0-9+/]+=*)$/.exec(authorization ?? '');
    if (match?.[1] === undefined) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    // The key, one colon, nothing after it: a password, even a right key's, is refused.
    const colon = decoded.indexOf(':');
    return colon > 0 && colon === decoded.length - 1 ? decoded.slice(0, colon) : undefined;
  }

  function serve(received: Received): Answer {
    const { request, text, underBase } = received;
    if (!underBase && request.path === '/authorize' && request.method === 'GET')
      return authServer.authorize(received);
    if (!underBase && request.path === '/oauth/token') return authServer.token(received);
    if (!underBase) return error(404, `No route for ${request.method} ${request.path}`);
    const authorization = received.headers.authorization ?? '';
    let rateKey: string;
    if (oauth !== undefined && authorization.startsWith('Bearer ')) {
      const checked = authServer.bearer(authorization, request);
      if ('status' in checked) return checked;
      rateKey = checked.key;
    } else {
      const apiKey = apiKeyOf(authorization);
      if (apiKey === undefined || !apiKeys.has(apiKey)) {
        return error(
          401,
          'Invalid API key or missing Basic authentication (the key, then an empty password)',
        );
      }
      // The Webhooks Subscription API is for OAuth apps (webhooks:write:admin).
      if (request.path.startsWith('/webhooks')) return error(403, 'The webhooks API needs an OAuth token');
      rateKey = apiKey;
    }
    if (!takeRateToken(rateKey)) return error(429, 'Rate limit exceeded');
    if (text !== '' && !isJson(text)) return error(400, 'Request body is not valid JSON');
    return route(received);
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
    ...(options.port === undefined ? {} : { port: options.port }),
  });

  function addStage(stage: Partial<Stage> = {}): Stage {
    const created: Stage = { id: stage.id ?? nextId('stage'), text: stage.text ?? `Stage ${sequence}` };
    stages.set(created.id, created);
    return structuredClone(created);
  }

  const simulator: LeverSimulator = {
    baseUrl: server.baseUrl,
    requests: server.requests,
    clearRequests: server.clearRequests,
    fault: server.fault,
    clearFaults: server.clearFaults,
    repeatCursors() {
      cursorsRepeat = true;
    },
    addStage,
    addPosting(posting = {}) {
      const created: Posting = {
        id: posting.id ?? nextId('posting'),
        text: posting.text ?? `Posting ${sequence}`,
        tags: posting.tags ?? [],
      };
      postings.set(created.id, created);
      if (posting.confidential === true) confidentialPostings.add(created.id);
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
    deleteOpportunity(id) {
      opportunities.delete(id);
      notesByOpportunity.delete(id);
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
    authorizeUrl: `${new URL(server.baseUrl).origin}/authorize`,
    tokenUrl: `${new URL(server.baseUrl).origin}/oauth/token`,
    grantScopes: authServer.grantScopes,
    declineConsent: authServer.declineConsent,
    revokeGrants: authServer.revokeGrants,
    dropAccessTokens: authServer.dropAccessTokens,
    refuseAccessTokens: authServer.refuseAccessTokens,
    expireRefreshTokens: authServer.expireRefreshTokens,
    webhooks: authServer.webhooks,
    async deliverRegistered(delivery) {
      const results: WebhookResult[] = [];
      for (const webhook of authServer.webhooks().filter((w) => w.event === delivery.event)) {
        results.push(
          await simulator.deliverWebhook({
            ...delivery,
            url: webhook.url,
            signatureToken: webhook.signatureToken,
          }),
        );
      }
      return results;
    },
    close: server.close,
  };
  return simulator;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
