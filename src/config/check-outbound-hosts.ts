import type { Diagnostic } from './diagnostic.js';
import { createErrorReporter, type YamlFile, type YamlPath } from './read-yaml.js';
import type { TenantFile } from './types.js';

/**
 * Where a tenant's keys may be sent is the operator's choice, not the tenant file's: Lever's own
 * API, or a host the operator lists in STAGEGATE_ALLOWED_HOSTS. The key goes out as Basic auth or a
 * bearer token, so a base URL pointing elsewhere would hand it over.
 */
export const leverApiUrls = ['https://api.lever.co/v1', 'https://api.sandbox.lever.co/v1'] as const;

/** Plain http reaches only these, and only when listed: the simulators of tests and the demo. */
export const loopbackHosts: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

const hostName = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const ipv6 = /^[0-9a-f:.]*:[0-9a-f:.]*$/;

/** STAGEGATE_ALLOWED_HOSTS: comma-separated host names, no scheme, port or path. */
export function parseAllowedHosts(raw: string | undefined): { hosts: string[]; problems: string[] } {
  const hosts: string[] = [];
  const problems: string[] = [];
  for (const entry of (raw ?? '').split(',')) {
    const host = entry
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1');
    if (host === '') continue;
    if (hostName.test(host) || ipv6.test(host)) hosts.push(host);
    else {
      problems.push(
        `STAGEGATE_ALLOWED_HOSTS must list host names only (no scheme, port or path, e.g. api.vendor.example,127.0.0.1), got ${JSON.stringify(entry.trim())}`,
      );
    }
  }
  return { hosts: [...new Set(hosts)], problems };
}

/** Checks the base URLs a tenant file names against what the operator allows; each problem names the host. */
export function checkOutboundHosts(
  tenant: TenantFile,
  yaml: YamlFile,
  allowedHosts: readonly string[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = createErrorReporter(yaml, out);
  const listed = allowedHosts.length === 0 ? 'it is unset' : `it lists ${allowedHosts.join(', ')}`;
  const allow = (host: string) =>
    `the operator adds ${host} to STAGEGATE_ALLOWED_HOSTS in stagegate's environment (${listed})`;

  const check = (raw: string, path: YamlPath, service: 'Lever' | 'vendor') => {
    const label = `the ${service} base URL`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      report('host-not-allowed', path, `${label} is not a URL`, 'write https://host/path');
      return;
    }
    // Credentials and queries are not repeated: that is where a pasted key would be.
    if (url.username !== '' || url.password !== '') {
      report(
        'host-not-allowed',
        path,
        `${label} carries a user name or password (not shown); stagegate never sends credentials in a URL`,
        'remove them: the key goes in apiKey, as a secret reference',
      );
      return;
    }
    if (url.search !== '' || url.hash !== '') {
      report(
        'host-not-allowed',
        path,
        `${label} has a ?query or #fragment (not shown); a base URL is a scheme, a host and a path`,
        'remove it: a key goes in apiKey, as a secret reference',
      );
      return;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    if (service === 'Lever' && isLeverApi(url)) return;
    const isListed = allowedHosts.includes(host);
    if (url.protocol === 'http:') {
      if (!loopbackHosts.has(host)) {
        report(
          'host-not-allowed',
          path,
          `${label} uses plain http to ${host}; plain http reaches only loopback (127.0.0.1, ::1, localhost)`,
          `use https://${host}${service === 'Lever' ? ', or leave lever.baseUrl out for Lever itself' : ''}`,
        );
      } else if (!isListed) {
        report(
          'host-not-allowed',
          path,
          `${label} goes to ${host}, which the operator has not allowed`,
          allow(host),
        );
      }
      return;
    }
    if (url.protocol !== 'https:') {
      report(
        'host-not-allowed',
        path,
        `${label} must be https, not ${url.protocol.replace(/:$/, '')}`,
        `use https://${host}`,
      );
      return;
    }
    if (!isListed) {
      report(
        'host-not-allowed',
        path,
        `${label} goes to ${host}, which the operator has not allowed`,
        service === 'Lever'
          ? `Lever is ${leverApiUrls.join(' or ')} (leave lever.baseUrl out for the first); for another host ${allow(host)}`
          : allow(host),
      );
    }
  };

  if (tenant.lever.baseUrl !== undefined) check(tenant.lever.baseUrl, ['lever', 'baseUrl'], 'Lever');
  if (tenant.provider.baseUrl !== undefined)
    check(tenant.provider.baseUrl, ['provider', 'baseUrl'], 'vendor');
  return out;
}

function isLeverApi(url: URL): boolean {
  const base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  return (leverApiUrls as readonly string[]).includes(base);
}
