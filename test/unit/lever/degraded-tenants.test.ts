import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/kernel/clock.js';
import { StagegateError } from '../../../src/kernel/errors.js';
import {
  createDegradedTenants,
  credentialObserver,
  credentialRefusal,
} from '../../../src/lever/degraded-tenants.js';

const leverError = (status: number, method: string, path: string) =>
  new StagegateError('LEVER_API', `Lever answered ${status} to ${method} ${path}: no`, {
    details: { status, method, path },
  });

describe('credentialRefusal: Lever refusing the key itself', () => {
  it('is a 401 to any call, or a 403 to reading an opportunity', () => {
    expect(credentialRefusal(leverError(401, 'POST', '/opportunities/o-1/addTags'))).toBe(
      'Lever refused the API key (401): Lever answered 401 to POST /opportunities/o-1/addTags: no',
    );
    expect(credentialRefusal(leverError(403, 'GET', '/opportunities/o-1'))).toBe(
      'Lever refused the API key reading an opportunity (403): Lever answered 403 to GET /opportunities/o-1: no',
    );
  });

  it('is not a 403 on a posting or a write, another status, or another kind of error', () => {
    expect(credentialRefusal(leverError(403, 'GET', '/postings/p-1'))).toBeUndefined();
    expect(credentialRefusal(leverError(403, 'GET', '/opportunities/o-1/notes'))).toBeUndefined();
    expect(credentialRefusal(leverError(403, 'POST', '/opportunities/o-1/addTags'))).toBeUndefined();
    expect(credentialRefusal(leverError(404, 'GET', '/opportunities/o-1'))).toBeUndefined();
    expect(credentialRefusal(leverError(503, 'GET', '/opportunities/o-1'))).toBeUndefined();
    expect(
      credentialRefusal(new StagegateError('LEVER_UNREACHABLE', 'timeout', { details: { status: 401 } })),
    ).toBeUndefined();
    expect(credentialRefusal(new Error('401'))).toBeUndefined();
  });
});

const lever = (message: string, details: Record<string, unknown>) =>
  new StagegateError('LEVER_API', message, { details });

function observed() {
  const clock = createManualClock(Date.UTC(2026, 4, 4, 9, 0, 0));
  const degraded = createDegradedTenants({ clock, log: pino({ level: 'silent' }) });
  const recorded: string[] = [];
  const observe = credentialObserver('acme', degraded, (reason) => recorded.push(reason));
  return { clock, degraded, recorded, observe };
}

describe('credentialObserver of an OAuth tenant: what it records in the stored grant', () => {
  it('records invalid_grant and a 401 with the access token', () => {
    const { degraded, recorded, observe } = observed();
    observe(lever('refused the grant (invalid_grant)', { status: 400, needsReconnecting: true }));
    observe(lever('Unauthorized', { status: 401, method: 'GET', path: '/opportunities/o1' }));
    expect(recorded).toEqual([
      'needs reconnecting: refused the grant (invalid_grant)',
      'Lever refused the API key (401): Unauthorized',
    ]);
    expect(degraded.get('acme')?.reason).toMatch(/^Lever refused the API key \(401\)/);
  });

  it('does not record a missing grant, a missing app, a 403 on one read, or a refusal already recorded', () => {
    const { degraded, recorded, observe } = observed();
    observe(lever('not connected', { status: 401, needsReconnecting: true, reason: 'not-connected' }));
    observe(lever('no app', { status: 401, needsReconnecting: true, reason: 'no-oauth-app' }));
    observe(lever('Forbidden', { status: 403, method: 'GET', path: '/opportunities/o1' }));
    const since = Date.UTC(2026, 4, 4, 8, 0, 0);
    observe(
      lever('refused (recorded)', {
        status: 401,
        needsReconnecting: true,
        reason: 'grant-refused',
        recordedRefusal: { reason: 'needs reconnecting: invalid_grant', since },
      }),
    );
    expect(recorded).toEqual([]);
    // The recorded refusal is shown with its own reason and time, not this instance's.
    expect(degraded.get('acme')).toMatchObject({ since });
  });

  it('does not record the token endpoint refusing the app (invalid_client, 401): the tenant only waits', () => {
    const { degraded, recorded, observe } = observed();
    observe(
      lever("Lever's token endpoint answered 401 invalid_client", {
        status: 401,
        oauthError: 'invalid_client',
        path: 'oauth/token',
      }),
    );
    expect(recorded).toEqual([]);
    expect(degraded.get('acme')).not.toBeNull();
  });
});
