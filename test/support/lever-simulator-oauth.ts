/**
 * The simulated Lever's authorization server and Webhooks Subscription API (reference: "Connecting
 * as a partner"), split from lever-simulator.ts, which routes to it: `/authorize` (every parameter
 * checked, answered with the 302 a consenting Super Admin causes), `/oauth/token` (form-encoded
 * only; authorization_code and rotating refresh_token grants: a used refresh token is refused with
 * invalid_grant, as Lever does), Bearer access tokens checked per scope on every call (403 when one
 * is missing), and `/webhooks`, which shows a webhook's signature token only in the answer that
 * creates it.
 */
import { randomBytes } from 'node:crypto';
import type { Answer, Received } from './simulated-http.js';

/** The partner app registered with this Lever: what its OAuth requests must carry. */
export interface SimulatedOAuthApp {
  clientId: string;
  clientSecret: string;
  /** Compared exactly, as Lever's authorization server does. */
  redirectUri: string;
  /** Lever's production audience unless given. */
  audience?: string;
  /** One hour unless given. */
  accessTokenTtlSeconds?: number;
}

export interface SimulatedWebhook {
  id: string;
  url: string;
  event: string;
  createdAt: number;
}

/** What the OAuth part borrows from the REST API simulator: its clock, ids, errors and request checks. */
export interface OAuthSimulatorContext {
  app: SimulatedOAuthApp | undefined;
  now(): number;
  nextId(prefix: string): string;
  error(status: number, message: string): Answer;
  checkParams(
    params: URLSearchParams,
    allowed: { single?: readonly string[]; repeated?: readonly string[] },
  ): Answer | undefined;
  checkBody(received: Received, allowed: readonly string[]): Answer | undefined;
  page<T>(items: readonly T[], params: URLSearchParams): Answer;
}

export interface OAuthSimulator {
  /** GET /authorize, outside the API's base path. */
  authorize(received: Received): Answer;
  /** POST /oauth/token, outside the API's base path. */
  token(received: Received): Answer;
  /** A Bearer access token's grant (the rate-limit key), or the answer refusing the call. */
  bearer(authorization: string, request: Received['request']): { key: string } | Answer;
  /** /webhooks and /webhooks/:id. */
  routeWebhooks(method: string, id: string | undefined, received: Received): Answer;
  grantScopes(scopes: readonly string[] | null): void;
  declineConsent(): void;
  revokeGrants(): void;
  dropAccessTokens(): void;
  refuseAccessTokens(): void;
  expireRefreshTokens(): void;
  webhooks(): (SimulatedWebhook & { signatureToken: string })[];
}

export function createOAuthSimulator(context: OAuthSimulatorContext): OAuthSimulator {
  const { now, nextId, error, checkParams, checkBody, page } = context;
  const oauth = context.app;
  const paging = ['limit', 'offset'] as const;
  const codes = new Map<string, { grantId: string; redirectUri: string }>();
  const grants = new Map<string, { refreshToken: string; scopes: string[]; revoked: boolean }>();
  const accessTokens = new Map<string, { grantId: string; expiresAt: number }>();
  const webhookList: (SimulatedWebhook & { signatureToken: string })[] = [];
  let grantedScopes: readonly string[] | null = null;
  const secret = () => randomBytes(24).toString('base64url');
  let declining = false;
  /** Every access token answers 401, also those issued from now on; refreshing still works. */
  let refusingAccess = false;

  const webhookScopesKnown = [
    'offline_access',
    'opportunities:read:admin',
    'opportunities:write:admin',
    'notes:read:admin',
    'notes:write:admin',
    'stages:read:admin',
    'tags:read:admin',
    'postings:read:admin',
    'webhooks:write:admin',
    'feedback:write:admin',
    'feedback_templates:write:admin',
    'files:write:admin',
  ];
  const webhookEvents = [
    'applicationCreated',
    'candidateHired',
    'candidateStageChange',
    'candidateArchiveChange',
    'candidateDeleted',
    'interviewCreated',
    'interviewUpdated',
    'interviewDeleted',
    'contactCreated',
    'contactUpdated',
  ];

  /** The Webhooks Subscription API: the signature token only in the answer that creates a webhook. */
  function routeWebhooks(method: string, id: string | undefined, received: Received): Answer {
    const shown = (webhook: SimulatedWebhook) => ({
      id: webhook.id,
      url: webhook.url,
      event: webhook.event,
      configuration: { conditions: null },
      createdAt: webhook.createdAt,
    });
    const checkWebhook = (): Answer | { url: string; event: string } => {
      const refused = checkBody(received, ['url', 'event', 'configuration']);
      if (refused) return refused;
      const url = field(received.request.body, 'url');
      const event = field(received.request.body, 'event');
      // Assumption: Lever delivers over HTTPS only; plain http is let through to loopback, for tests.
      if (typeof url !== 'string' || !/^(https:\/\/|http:\/\/127\.0\.0\.1[:/])/.test(url)) {
        return error(400, 'url must be an https URL');
      }
      if (typeof event !== 'string' || !webhookEvents.includes(event))
        return error(400, `Unknown event: ${String(event)}`);
      return { url, event };
    };
    if (id === undefined && method === 'GET') {
      return (
        checkParams(received.params, { single: paging }) ?? page(webhookList.map(shown), received.params)
      );
    }
    if (id === undefined && method === 'POST') {
      const refused = checkParams(received.params, {});
      if (refused) return refused;
      const checked = checkWebhook();
      if ('status' in checked) return checked;
      const webhook = { id: nextId('webhook'), ...checked, createdAt: now(), signatureToken: secret() };
      webhookList.push(webhook);
      return {
        status: 201,
        body: {
          data: {
            ...shown(webhook),
            configuration: { conditions: null, signatureToken: webhook.signatureToken },
          },
        },
      };
    }
    const webhook = webhookList.find((w) => w.id === id);
    if (id === undefined) return error(404, `No route for ${method} /webhooks`);
    if (webhook === undefined) return error(404, `Webhook ${id} not found`);
    if (method === 'PUT') {
      const checked = checkParams(received.params, {}) ?? checkWebhook();
      if ('status' in checked) return checked;
      Object.assign(webhook, checked);
      return { status: 200, body: { data: shown(webhook) } };
    }
    if (method === 'DELETE') {
      webhookList.splice(webhookList.indexOf(webhook), 1);
      return { status: 204, body: undefined };
    }
    return error(404, `No route for ${method} /webhooks/${id}`);
  }

  /** The scope a call needs; a write scope includes the matching read. */
  function scopeFor(
    method: string,
    resource: string | undefined,
    action: string | undefined,
  ): string | undefined {
    if (resource === 'webhooks') return 'webhooks:write:admin';
    if (resource === 'opportunities' && action === 'notes')
      return method === 'GET' ? 'notes:read:admin' : 'notes:write:admin';
    if (resource === 'opportunities')
      return method === 'GET' ? 'opportunities:read:admin' : 'opportunities:write:admin';
    if (resource === 'stages' || resource === 'postings' || resource === 'tags')
      return `${resource}:read:admin`;
    return undefined;
  }

  function hasScope(scopes: readonly string[], needed: string): boolean {
    return (
      scopes.includes(needed) ||
      (needed.includes(':read:') && scopes.includes(needed.replace(':read:', ':write:')))
    );
  }

  function oauthError(status: number, code: string, description: string): Answer {
    return { status, body: { error: code, error_description: description } };
  }

  /** GET /authorize: every parameter as documented, or 400; else the Super Admin consents (302). */
  function authorize(received: Received): Answer {
    if (oauth === undefined) return error(404, 'No route for /authorize');
    const { params } = received;
    const expected = ['client_id', 'redirect_uri', 'response_type', 'state', 'scope', 'prompt', 'audience'];
    const names = [...params.keys()];
    const unknown = names.filter((name) => !expected.includes(name));
    const missing = expected.filter((name) => !params.has(name) || params.get(name) === '');
    if (unknown.length > 0 || missing.length > 0 || new Set(names).size !== names.length) {
      return oauthError(
        400,
        'invalid_request',
        `unknown: ${unknown.join(',')}; missing: ${missing.join(',')}`,
      );
    }
    if (params.get('client_id') !== oauth.clientId)
      return oauthError(400, 'invalid_client', 'unknown client_id');
    if (params.get('redirect_uri') !== oauth.redirectUri)
      return oauthError(400, 'invalid_request', 'redirect_uri is not the registered one');
    if (params.get('response_type') !== 'code')
      return oauthError(400, 'unsupported_response_type', 'response_type must be code');
    if (params.get('prompt') !== 'consent')
      return oauthError(400, 'invalid_request', 'prompt must be consent');
    if (params.get('audience') !== (oauth.audience ?? 'https://api.lever.co/v1/'))
      return oauthError(400, 'invalid_request', 'unknown audience');
    const asked = (params.get('scope') ?? '').split(' ');
    const known = [...new Set([...webhookScopesKnown])];
    if (asked.some((scope) => !known.includes(scope)))
      return oauthError(400, 'invalid_scope', 'unknown scope');
    if (declining) {
      // The Super Admin clicks "Deny": OAuth's error redirect, the state handed back, no code.
      declining = false;
      const location = new URL(oauth.redirectUri);
      location.searchParams.set('error', 'access_denied');
      location.searchParams.set('error_description', 'The user denied access to the application');
      location.searchParams.set('state', params.get('state') ?? '');
      return { status: 302, body: undefined, headers: { location: location.toString() } };
    }
    const grantId = nextId('grant');
    grants.set(grantId, { refreshToken: '', scopes: [...(grantedScopes ?? asked)], revoked: false });
    const code = secret();
    codes.set(code, { grantId, redirectUri: oauth.redirectUri });
    const location = new URL(oauth.redirectUri);
    location.searchParams.set('code', code);
    location.searchParams.set('state', params.get('state') ?? '');
    return { status: 302, body: undefined, headers: { location: location.toString() } };
  }

  function issue(grantId: string): Answer {
    const grant = grants.get(grantId);
    if (grant === undefined || oauth === undefined) return oauthError(400, 'invalid_grant', 'unknown grant');
    const accessToken = secret();
    const ttl = oauth.accessTokenTtlSeconds ?? 3600;
    accessTokens.set(accessToken, { grantId, expiresAt: now() + ttl * 1000 });
    // Rotating: the refresh token given before stops working now.
    grant.refreshToken = grant.scopes.includes('offline_access') ? secret() : '';
    return {
      status: 200,
      body: {
        access_token: accessToken,
        ...(grant.refreshToken === '' ? {} : { refresh_token: grant.refreshToken }),
        token_type: 'Bearer',
        expires_in: ttl,
        scope: grant.scopes.join(' '),
      },
    };
  }

  /** POST /oauth/token: form-encoded, the client's id and secret in the body. */
  function token(received: Received): Answer {
    if (oauth === undefined) return error(404, 'No route for /oauth/token');
    if (received.request.method !== 'POST') return oauthError(405, 'invalid_request', 'POST only');
    const contentType = String(received.headers['content-type'] ?? '');
    if (!/^application\/x-www-form-urlencoded(\s*;|$)/i.test(contentType)) {
      return oauthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(received.text);
    const grantType = form.get('grant_type');
    const fields =
      grantType === 'authorization_code'
        ? ['grant_type', 'client_id', 'client_secret', 'code', 'redirect_uri']
        : grantType === 'refresh_token'
          ? ['grant_type', 'client_id', 'client_secret', 'refresh_token']
          : undefined;
    if (fields === undefined) return oauthError(400, 'unsupported_grant_type', 'grant_type');
    const names = [...form.keys()];
    if (names.length !== fields.length || !fields.every((name) => form.get(name))) {
      return oauthError(400, 'invalid_request', `expected exactly ${fields.join(', ')}`);
    }
    if (form.get('client_id') !== oauth.clientId || form.get('client_secret') !== oauth.clientSecret) {
      return oauthError(401, 'invalid_client', 'client authentication failed');
    }
    if (grantType === 'authorization_code') {
      const issued = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (issued === undefined || issued.redirectUri !== form.get('redirect_uri')) {
        return oauthError(403, 'invalid_grant', 'invalid authorization code');
      }
      return issue(issued.grantId);
    }
    const refresh = form.get('refresh_token');
    const found = [...grants].find(
      ([, grant]) => grant.refreshToken !== '' && grant.refreshToken === refresh,
    );
    if (found === undefined || found[1].revoked)
      return oauthError(403, 'invalid_grant', 'unknown or expired refresh token');
    return issue(found[0]);
  }

  /** A Bearer access token's grant scopes, or the answer refusing it. */
  function bearer(authorization: string, request: Received['request']): { key: string } | Answer {
    const access = accessTokens.get(authorization.slice('Bearer '.length));
    const grant = access === undefined ? undefined : grants.get(access.grantId);
    if (
      refusingAccess ||
      access === undefined ||
      grant === undefined ||
      grant.revoked ||
      access.expiresAt <= now()
    ) {
      return error(401, 'Invalid or expired access token');
    }
    const [resource, , action] = request.path.split('/').filter(Boolean);
    const needed = scopeFor(request.method, resource, action);
    if (needed !== undefined && !hasScope(grant.scopes, needed)) {
      return error(403, `The access token lacks the scope ${needed}`);
    }
    return { key: access.grantId };
  }

  return {
    authorize,
    token,
    bearer,
    routeWebhooks,
    grantScopes(scopes) {
      grantedScopes = scopes;
    },
    declineConsent() {
      declining = true;
    },
    revokeGrants() {
      for (const grant of grants.values()) grant.revoked = true;
    },
    dropAccessTokens() {
      accessTokens.clear();
    },
    refuseAccessTokens() {
      refusingAccess = true;
    },
    expireRefreshTokens() {
      // Lever's refresh tokens stop working after long disuse: invalid_grant, the grant itself kept.
      for (const grant of grants.values()) grant.refreshToken = '';
    },
    webhooks: () => structuredClone(webhookList),
  };
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}
