import type { Secret } from '../../kernel/secret.js';

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
