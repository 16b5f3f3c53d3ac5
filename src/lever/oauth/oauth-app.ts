import { StagegateError } from '../../kernel/errors.js';
import { parseJsonObject } from '../../kernel/json.js';
import { Secret } from '../../kernel/secret.js';

/** The operator's Lever app, registered once with Lever: from STAGEGATE_LEVER_* in the environment. */
export interface LeverOAuthApp {
  clientId: string;
  clientSecret: Secret;
  /** Exactly as registered with Lever: `<public url>/oauth/lever/callback`. */
  redirectUri: string;
  env: 'production' | 'sandbox';
  authorizeUrl: string;
  tokenUrl: string;
  /** The API the tokens are for: Lever's `audience`. */
  audience: string;
  scopes: readonly string[];
}

/**
 * The scopes Lever lists for assessment partners, plus the reads stagegate's calls need: postings
 * (posting-based selection). Write scopes include the matching read (opportunities, notes).
 */
export const leverScopes: readonly string[] = [
  'offline_access',
  'opportunities:write:admin',
  'notes:write:admin',
  'stages:read:admin',
  'tags:read:admin',
  'postings:read:admin',
  'webhooks:write:admin',
];

/** Lever's authorization server per environment (Auth0 tenants; see the reference's OAuth section). */
export const leverAuthServers = {
  production: {
    authorizeUrl: 'https://auth.lever.co/authorize',
    tokenUrl: 'https://auth.lever.co/oauth/token',
    audience: 'https://api.lever.co/v1/',
  },
  sandbox: {
    authorizeUrl: 'https://sandbox-lever.auth0.com/authorize',
    tokenUrl: 'https://sandbox-lever.auth0.com/oauth/token',
    audience: 'https://api.sandbox.lever.co/v1/',
  },
} as const;

/** The link a tenant's Super Admin opens: Lever's consent page for this app, carrying `state`. */
export function authorizeLink(app: LeverOAuthApp, state: string): string {
  const url = new URL(app.authorizeUrl);
  url.searchParams.set('client_id', app.clientId);
  url.searchParams.set('redirect_uri', app.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('state', state);
  url.searchParams.set('scope', app.scopes.join(' '));
  url.searchParams.set('prompt', 'consent');
  url.searchParams.set('audience', app.audience);
  return url.toString();
}

/** What Lever's token endpoint answers: `{access_token, refresh_token, token_type, expires_in, scope}`. */
export interface TokenAnswer {
  accessToken: Secret;
  /** Absent when Lever keeps the refresh token as it was (then the old one stays). */
  refreshToken: Secret | null;
  expiresInMs: number;
  scopes: string[];
}

export type TokenGrant =
  | { grant_type: 'authorization_code'; code: string; redirect_uri: string }
  | { grant_type: 'refresh_token'; refresh_token: string };

/**
 * One POST to the token endpoint, form-encoded as OAuth 2.0 asks, with the app's client id and
 * secret in the body. A refused grant (`invalid_grant`: revoked, expired, or a code used twice) is
 * LEVER_API with `details.needsReconnecting`; other failures are LEVER_API or LEVER_UNREACHABLE,
 * worth another try. No token or secret reaches an error.
 */
export async function requestToken(
  app: LeverOAuthApp,
  grant: TokenGrant,
  options: { http?: typeof fetch; timeoutMs?: number } = {},
): Promise<TokenAnswer> {
  const http = options.http ?? fetch;
  const body = new URLSearchParams({
    ...grant,
    client_id: app.clientId,
    client_secret: app.clientSecret.reveal(),
  });
  let status: number;
  let text: string;
  try {
    const response = await http(app.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    status = response.status;
    text = await response.text();
  } catch (cause) {
    throw new StagegateError(
      'LEVER_UNREACHABLE',
      `Could not reach Lever's token endpoint: ${String(cause)}`,
      {
        cause,
        details: { reason: 'network', path: 'oauth/token' },
      },
    );
  }
  const parsed = parseJsonObject(text);
  if (status < 200 || status > 299) {
    const oauthError = typeof parsed?.error === 'string' ? parsed.error : undefined;
    const needsReconnecting = oauthError === 'invalid_grant';
    throw new StagegateError(
      'LEVER_API',
      needsReconnecting
        ? `Lever's token endpoint refused the grant (invalid_grant: revoked in Lever, or expired): a Super Admin connects the tenant again with stagegate connect`
        : `Lever's token endpoint answered ${status}${oauthError === undefined ? '' : ` ${oauthError}`}`,
      {
        details: {
          status: needsReconnecting ? 401 : status,
          oauthError,
          path: 'oauth/token',
          ...(needsReconnecting ? { needsReconnecting: true } : {}),
        },
      },
    );
  }
  const access = parsed?.access_token;
  const refresh = parsed?.refresh_token;
  const expiresIn = parsed?.expires_in;
  if (
    typeof access !== 'string' ||
    access === '' ||
    typeof expiresIn !== 'number' ||
    parsed?.token_type !== 'Bearer'
  ) {
    throw new StagegateError(
      'LEVER_API',
      "Lever's token endpoint answered without a Bearer access token and expires_in",
      {
        details: { status, path: 'oauth/token', reason: 'malformed' },
      },
    );
  }
  return {
    accessToken: new Secret(access),
    refreshToken: typeof refresh === 'string' && refresh !== '' ? new Secret(refresh) : null,
    expiresInMs: expiresIn * 1000,
    scopes: typeof parsed?.scope === 'string' ? parsed.scope.split(' ').filter(Boolean) : [],
  };
}
