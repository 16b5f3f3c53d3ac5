import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { adminUnauthorizedMessage } from '../../src/admin/answer-admin-error.js';
import { adminOffMessage, createAdminRouter } from '../../src/admin/create-admin-router.js';
import { StagegateError } from '../../src/kernel/errors.js';
import { type AdminServer, adminToken, start, startAdminServer } from '../support/start-admin-server.js';

let server: AdminServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function call(
  path: string,
  init: { method?: string; token?: string | null; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  if (!server) throw new Error('no server');
  const token = init.token === undefined ? adminToken : init.token;
  const response = await fetch(`${server.url}/admin${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('admin router: access', () => {
  it('is off without a token: every route answers 404, with or without a bearer', async () => {
    server = await startAdminServer({ token: undefined });
    const off = { status: 404, body: { error: 'NOT_FOUND', message: adminOffMessage } };
    expect(await call('/status')).toEqual(off);
    expect(await call('/actions', { token: null })).toEqual(off);
    expect(await call(`/actions/${server.failedId}/retry`, { method: 'POST', token: '' })).toEqual(off);
    expect((await server.store.getAction(server.failedId))?.status).toBe('failed');
  });

  it('is off with an empty token too', async () => {
    server = await startAdminServer({ token: '' });
    expect(await call('/status', { token: '' })).toEqual({
      status: 404,
      body: { error: 'NOT_FOUND', message: adminOffMessage },
    });
  });

  it('answers 401 without a bearer, with a wrong one, or with another scheme', async () => {
    server = await startAdminServer();
    // The message says how to authenticate, and nothing about which check failed.
    const unauthorized = { status: 401, body: { error: 'UNAUTHORIZED', message: adminUnauthorizedMessage } };
    expect(await call('/status', { token: null })).toEqual(unauthorized);
    expect(await call('/status', { token: 'wrong' })).toEqual(unauthorized);
    expect(await call('/status', { token: `${adminToken}x` })).toEqual(unauthorized);
    const basic = await fetch(`${server.url}/admin/status`, {
      headers: { authorization: `Basic ${adminToken}` },
    });
    expect(basic.status).toBe(401);
    expect(await call(`/actions/${server.failedId}/retry`, { method: 'POST', token: 'wrong' })).toEqual(
      unauthorized,
    );
    expect((await server.store.getAction(server.failedId))?.status).toBe('failed');
  });

  it('answers 404 NOT_FOUND on an unknown admin route', async () => {
    server = await startAdminServer();
    expect(await call('/nothing-here')).toEqual({
      status: 404,
      body: { error: 'NOT_FOUND', message: 'No such route.' },
    });
  });
});

describe('admin router: actions', () => {
  it('lists actions, filtered by tenant and status', async () => {
    server = await startAdminServer();
    const all = await call('/actions');
    expect(all.status).toBe(200);
    expect((all.body.actions as { id: string }[]).map((a) => a.id)).toEqual([
      server.pendingId,
      server.failedId,
    ]);

    const failed = await call('/actions?status=failed');
    expect(failed.body.actions).toEqual([
      expect.objectContaining({
        id: server.failedId,
        status: 'failed',
        lastError: 'Lever answered 500',
        attempts: 5,
      }),
    ]);
    expect((await call('/actions?tenant=acme&status=pending')).body.actions).toEqual([
      expect.objectContaining({ id: server.pendingId }),
    ]);
    expect((await call('/actions?tenant=globex')).body.actions).toEqual([]);
  });

  it('rejects an unknown status or a repeated filter with 400 BAD_JSON', async () => {
    server = await startAdminServer();
    const unknown = await call('/actions?status=stuck');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: 'BAD_JSON', message: expect.stringContaining('stuck') });
    expect((await call('/actions?tenant=a&tenant=b')).status).toBe(400);
  });

  it('puts a failed action back to pending, due now, attempts reset', async () => {
    server = await startAdminServer();
    const answer = await call(`/actions/${encodeURIComponent(server.failedId)}/retry`, { method: 'POST' });
    expect(answer.status).toBe(200);
    expect(answer.body.action).toMatchObject({
      id: server.failedId,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: start,
    });
    expect(await server.store.getAction(server.failedId)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('answers 409 when the action is not failed, and 404 when there is no such action', async () => {
    server = await startAdminServer();
    const conflict = await call(`/actions/${server.pendingId}/retry`, { method: 'POST' });
    expect(conflict).toEqual({
      status: 409,
      body: {
        error: 'CONFLICT',
        message: `action ${server.pendingId} is pending; only failed actions are retried`,
      },
    });
    const missing = await call('/actions/dec-404:0/retry', { method: 'POST' });
    expect(missing).toEqual({ status: 404, body: { error: 'NOT_FOUND', message: 'no action dec-404:0' } });
  });

  it('retries every failed action, of one tenant or all', async () => {
    server = await startAdminServer();
    expect(await call('/actions/retry-failed?tenant=globex', { method: 'POST' })).toEqual({
      status: 200,
      body: { retried: [] },
    });
    expect(await call('/actions/retry-failed', { method: 'POST' })).toEqual({
      status: 200,
      body: { retried: [server.failedId] },
    });
    expect(await server.store.listActions({ status: 'failed' })).toEqual([]);
    expect((await call('/actions/retry-failed', { method: 'POST' })).body).toEqual({ retried: [] });
  });
});

describe('admin router: decisions, status, sandbox', () => {
  it('shows a decision by id, and answers 404 for an unknown one', async () => {
    server = await startAdminServer();
    expect(await call(`/decisions/${server.decision.id}`)).toEqual({
      status: 200,
      body: { decision: server.decision },
    });
    expect(await call('/decisions/dec-404')).toEqual({
      status: 404,
      body: { error: 'NOT_FOUND', message: 'no decision dec-404' },
    });
  });

  it('counts actions by status and pending deliveries, and lists tenants', async () => {
    server = await startAdminServer();
    expect(await call('/status')).toEqual({
      status: 200,
      body: {
        tenants: [
          { id: 'acme', status: 'ready', version: 'v7', lastError: null, degraded: null },
          {
            id: 'globex',
            status: 'invalid',
            version: null,
            lastError: 'tenants/globex.yaml:3:1 unknown key',
            degraded: null,
          },
        ],
        actions: { pending: 1, running: 0, failed: 1, done: 0 },
        inbox: { pending: 1, skipped: 0 },
      },
    });
  });

  it('completes a sandbox invitation through the callback, score or none', async () => {
    server = await startAdminServer();
    const path = '/sandbox/acme/invitations/inv-1/complete';
    expect(await call(path, { method: 'POST', body: { score: 82 } })).toEqual({
      status: 202,
      body: { status: 'completing' },
    });
    expect(await call(path, { method: 'POST', body: { score: null } })).toMatchObject({ status: 202 });
    expect(server.completions).toEqual([
      { tenant: 'acme', invitationId: 'inv-1', score: 82 },
      { tenant: 'acme', invitationId: 'inv-1', score: null },
    ]);
  });

  it('answers 404 for an unknown invitation and 400 for a bad score', async () => {
    server = await startAdminServer();
    expect(
      await call('/sandbox/acme/invitations/missing/complete', { method: 'POST', body: { score: 1 } }),
    ).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    for (const body of [{ score: '82' }, {}, [82]]) {
      expect(await call('/sandbox/acme/invitations/inv-1/complete', { method: 'POST', body })).toMatchObject({
        status: 400,
        body: { error: 'BAD_JSON' },
      });
    }
    const broken = await fetch(`${server.url}/admin/sandbox/acme/invitations/inv-1/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: '{"score":',
    });
    expect(broken.status).toBe(400);
    expect(server.completions).toEqual([]);
  });

  it('answers 404 when no tenant uses the sandbox', async () => {
    server = await startAdminServer({ sandbox: false });
    expect(
      await call('/sandbox/acme/invitations/inv-1/complete', { method: 'POST', body: { score: 1 } }),
    ).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });
});

describe('admin router: every error answer carries a message', () => {
  it('a server error says what kind of failure, never its details', async () => {
    const admin = await startAdminServer();
    const app = express();
    app.use(
      '/admin',
      createAdminRouter({
        token: adminToken,
        store: admin.store,
        executor: { retry: async () => ({}) as never },
        registry: { list: () => [] },
        backfill: async () => {
          throw new StagegateError(
            'LEVER_UNREACHABLE',
            'connect ECONNREFUSED 10.0.0.7:443 with key lev_live_123',
          );
        },
      }),
    );
    const listening = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    try {
      const { port } = listening.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/admin/backfill`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'acme', dryRun: true }),
      });
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({
        error: 'LEVER_UNREACHABLE',
        message: "Lever did not answer in time, or the connection failed. The service's log has the details.",
      });
    } finally {
      await new Promise((resolve) => listening.close(resolve));
      await admin.close();
    }
  });
});
