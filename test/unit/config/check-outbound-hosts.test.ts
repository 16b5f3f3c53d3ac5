import { describe, expect, it } from 'vitest';
import { checkOutboundHosts, parseAllowedHosts } from '../../../src/config/check-outbound-hosts.js';
import { readYaml } from '../../../src/config/read-yaml.js';
import type { TenantFile } from '../../../src/config/types.js';

function problems(lever: string | undefined, vendor: string | undefined, allowed: string[] = []) {
  const text = [
    'tenant: acme',
    'lever:',
    '  apiKey: { env: ACME__LEVER_API_KEY }',
    '  webhookTokens: { candidateStageChange: [{ env: ACME__TOKEN }] }',
    ...(lever === undefined ? [] : [`  baseUrl: "${lever}"`]),
    'provider:',
    '  kind: greenhouse-partner',
    ...(vendor === undefined ? [] : [`  baseUrl: "${vendor}"`]),
    '',
  ].join('\n');
  const yaml = readYaml('tenants/acme.yaml', text);
  return checkOutboundHosts(yaml.data as TenantFile, yaml, allowed);
}

describe('STAGEGATE_ALLOWED_HOSTS', () => {
  it('is a comma-separated list of host names, lower-cased, IPv6 without brackets', () => {
    expect(parseAllowedHosts(' Vendor.Example , 127.0.0.1,[::1],,localhost ')).toEqual({
      hosts: ['vendor.example', '127.0.0.1', '::1', 'localhost'],
      problems: [],
    });
    expect(parseAllowedHosts(undefined)).toEqual({ hosts: [], problems: [] });
  });

  it('refuses a scheme, a port or a path', () => {
    const { hosts, problems: found } = parseAllowedHosts(
      'https://vendor.example,vendor.example:443,a/b,ok.example',
    );
    expect(hosts).toEqual(['ok.example']);
    expect(found).toHaveLength(3);
    expect(found[0]).toContain('STAGEGATE_ALLOWED_HOSTS must list host names only');
  });
});

describe('base URLs', () => {
  it("allow Lever's production and sandbox APIs with nothing listed", () => {
    expect(problems('https://api.lever.co/v1', undefined)).toEqual([]);
    expect(problems('https://api.sandbox.lever.co/v1/', undefined)).toEqual([]);
    expect(problems(undefined, undefined)).toEqual([]);
  });

  it('allow a listed host over https, and plain http only to a listed loopback host', () => {
    expect(
      problems('https://lever-proxy.example/v1', 'https://vendor.example/p', [
        'lever-proxy.example',
        'vendor.example',
      ]),
    ).toEqual([]);
    expect(problems('http://127.0.0.1:4010/v1', 'http://[::1]:9/p', ['127.0.0.1', '::1'])).toEqual([]);
  });

  it.each([
    [
      'an unlisted Lever host',
      'https://evil.example/v1',
      undefined,
      [],
      'the Lever base URL goes to evil.example, which the operator has not allowed',
    ],
    ['Lever on another port', 'https://api.lever.co:8443/v1', undefined, [], 'goes to api.lever.co, which'],
    [
      'Lever over plain http',
      'http://api.lever.co/v1',
      undefined,
      ['api.lever.co'],
      'uses plain http to api.lever.co',
    ],
    [
      'an unlisted vendor',
      undefined,
      'https://vendor.example/p',
      [],
      'the vendor base URL goes to vendor.example',
    ],
    [
      'a vendor over http, listed',
      undefined,
      'http://vendor.example/p',
      ['vendor.example'],
      'uses plain http to vendor.example',
    ],
    [
      'unlisted loopback',
      'http://127.0.0.1:4010/v1',
      undefined,
      [],
      'goes to 127.0.0.1, which the operator has not allowed',
    ],
    ['another scheme', undefined, 'ftp://vendor.example/p', ['vendor.example'], 'must be https, not ftp'],
  ])('refuse %s, naming the host', (_what, lever, vendor, allowed, message) => {
    const found = problems(lever, vendor, allowed);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      code: 'host-not-allowed',
      severity: 'error',
      line: lever === undefined ? 7 : 5,
      col: 12,
    });
    expect(found[0]?.message).toContain(message);
  });

  it('say which variable the operator sets, and what it holds now', () => {
    const [found] = problems(undefined, 'https://vendor.example/p', ['127.0.0.1']);
    expect(found?.hint).toBe(
      "the operator adds vendor.example to STAGEGATE_ALLOWED_HOSTS in stagegate's environment (it lists 127.0.0.1)",
    );
  });

  it('refuse credentials and queries without repeating them, even on an allowed host', () => {
    const found = [
      ...problems('https://lever-user:canary-pass-77@api.lever.co/v1', undefined, ['api.lever.co']),
      ...problems(undefined, 'https://vendor.example/p?api_key=canary-key-88', ['vendor.example']),
    ];
    expect(found.map((d) => d.code)).toEqual(['host-not-allowed', 'host-not-allowed']);
    expect(JSON.stringify(found)).not.toMatch(/canary|lever-user/);
  });
});
