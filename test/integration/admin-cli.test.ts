import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { retryActionsCommand } from '../../src/cli/admin/actions-command.js';
import { runCli } from '../../src/cli/main.js';
import { captureIo } from '../support/capture-io.js';
import { type AdminServer, adminToken, startAdminServer } from '../support/start-admin-server.js';

let server: AdminServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIo({
    cwd: process.cwd(),
    env: { STAGEGATE_URL: server?.url, STAGEGATE_ADMIN_TOKEN: adminToken, ...env },
  });
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** A port nothing listens on: taken, then released. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('stagegate actions', () => {
  it('lists actions as a table, with filters, and as JSON', async () => {
    server = await startAdminServer();
    const table = await run(['actions', 'list']);
    expect(table).toMatchObject({ code: 0, err: '' });
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TENANT\s+OPPORTUNITY\s+TYPE\s+STATUS\s+ATTEMPTS\s+LAST ERROR$/);
    expect(lines[1]).toMatch(/^dec-1:0\s+acme\s+opp-1\s+assessment\.send\s+pending\s+0$/);
    expect(lines[2]).toMatch(/^dec-1:1\s+acme\s+opp-1\s+lever\.addTags\s+failed\s+5\s+Lever answered 500$/);

    const failed = await run(['actions', 'list', '--status', 'failed', '--tenant', 'acme', '--json']);
    expect(failed.code).toBe(0);
    expect((JSON.parse(failed.out) as { id: string }[]).map((a) => a.id)).toEqual([server.failedId]);

    expect(await run(['actions', 'list', '--tenant', 'globex'])).toMatchObject({
      code: 0,
      out: 'no actions\n',
    });
  });

  it('refuses an unknown --status before calling the service (exit 2)', async () => {
    server = await startAdminServer();
    const answer = await run(['actions', 'list', '--status', 'stuck']);
    expect(answer.code).toBe(2);
    expect(answer.err).toContain('stuck');
  });

  it('retries one failed action, and says why it cannot retry a pending one (exit 1)', async () => {
    server = await startAdminServer();
    expect(await run(['actions', 'retry', server.failedId])).toEqual({
      code: 0,
      out: `action ${server.failedId} is pending again, due now\n`,
      err: '',
    });
    expect((await server.store.getAction(server.failedId))?.status).toBe('pending');

    const conflict = await run(['actions', 'retry', server.pendingId]);
    expect(conflict.code).toBe(1);
    expect(conflict.err).toBe(
      `CONFLICT: action ${server.pendingId} is pending; only failed actions are retried\n`,
    );

    const missing = await run(['actions', 'retry', 'dec-404:0']);
    expect(missing).toMatchObject({ code: 1, err: 'NOT_FOUND: no action dec-404:0\n' });
  });

  it('retries every failed action with --all-failed', async () => {
    server = await startAdminServer();
    expect(await run(['actions', 'retry', '--all-failed', '--tenant', 'globex'])).toMatchObject({
      code: 0,
      out: 'no failed actions to retry\n',
    });
    const all = await run(['actions', 'retry', '--all-failed']);
    expect(all).toMatchObject({
      code: 0,
      out: `1 failed action(s) back to pending:\n  ${server.failedId}\n`,
    });
    expect(await server.store.listActions({ status: 'failed' })).toEqual([]);
  });

  it('is a usage error (exit 2) to give both an id and --all-failed, or neither', async () => {
    server = await startAdminServer();
    expect((await run(['actions', 'retry', server.failedId, '--all-failed'])).code).toBe(2);
    expect((await run(['actions', 'retry'])).code).toBe(2);
    expect((await run(['actions', 'retry', server.failedId, '--tenant', 'acme'])).code).toBe(2);
    expect((await server.store.getAction(server.failedId))?.status).toBe('failed');
  });

  it('is a usage error (exit 2) to give --not-at-vendor with --all-failed: it is checked one send at a time', async () => {
    server = await startAdminServer();
    const io = captureIo({
      cwd: process.cwd(),
      env: { STAGEGATE_URL: server.url, STAGEGATE_ADMIN_TOKEN: adminToken },
    });
    expect(await retryActionsCommand(io, undefined, { allFailed: true, notAtVendor: true })).toBe(2);
    expect(io.err()).toContain('--not-at-vendor goes with one action id');
    expect((await server.store.getAction(server.failedId))?.status).toBe('failed');
  });

  it('refuses --not-at-vendor for an action that is not a send (exit 1)', async () => {
    server = await startAdminServer();
    const io = captureIo({
      cwd: process.cwd(),
      env: { STAGEGATE_URL: server.url, STAGEGATE_ADMIN_TOKEN: adminToken },
    });
    expect(await retryActionsCommand(io, server.failedId, { notAtVendor: true })).toBe(1);
    expect(io.err()).toBe(
      `CONFLICT: --not-at-vendor is for an assessment.send; action ${server.failedId} is lever.addTags\n`,
    );
    expect((await server.store.getAction(server.failedId))?.status).toBe('failed');
  });

  it('takes --at-vendor <id> with one action id only, and a non-empty id (exit 2)', async () => {
    server = await startAdminServer();
    const allFailed = await run(['actions', 'retry', '--all-failed', '--at-vendor', 'pi-1']);
    expect(allFailed).toMatchObject({ code: 2, out: '' });
    expect(allFailed.err).toContain('--at-vendor goes with one action id');
    const empty = await run(['actions', 'retry', server.failedId, '--at-vendor', ' ']);
    expect(empty).toMatchObject({ code: 2, out: '' });
    expect(empty.err).toContain('--at-vendor needs the id the vendor gave the invitation');
    expect(empty.err).toContain(
      'usage: stagegate actions retry <id> [--not-at-vendor | --at-vendor <vendor invitation id>]',
    );
    const missing = await run(['actions', 'retry', server.failedId, '--at-vendor']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--at-vendor');
    expect(await server.store.listActions({ status: 'failed' })).toHaveLength(1);
  });

  it('passes --at-vendor to the service, which refuses it for anything but a failed send in doubt (exit 1)', async () => {
    server = await startAdminServer();
    expect(await run(['actions', 'retry', server.failedId, '--at-vendor', 'pi-1'])).toEqual({
      code: 1,
      out: '',
      err: `CONFLICT: --at-vendor is for an assessment.send; action ${server.failedId} is lever.addTags\n`,
    });
    expect(await run(['actions', 'retry', server.pendingId, '--at-vendor', 'pi-1'])).toEqual({
      code: 1,
      out: '',
      err: `CONFLICT: action ${server.pendingId} is pending; only failed actions are retried\n`,
    });
    const both = await run(['actions', 'retry', server.failedId, '--not-at-vendor', '--at-vendor', 'pi-1']);
    expect(both).toMatchObject({ code: 1, out: '' });
    expect(both.err).toMatch(/^CONFLICT: --at-vendor and --not-at-vendor are opposite answers/);
    expect((await server.store.getAction(server.failedId))?.status).toBe('failed');
    expect((await server.store.getAction(server.pendingId))?.status).toBe('pending');
  });
});

describe('stagegate decisions show, status, sandbox complete', () => {
  it('prints a recorded decision as explain does, or as JSON', async () => {
    server = await startAdminServer();
    const shown = await run(['decisions', 'show', server.decision.id]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('decision dec-1  tenant acme  config v7');
    expect(shown.out).toContain('event candidateStageChange (token-1)');
    expect(shown.out).toContain('{"type":"lever.addTags","tags":["Assessment sent"]}');
    expect(shown.out).toContain('the candidate reached the assessment stage');

    const json = await run(['decisions', 'show', server.decision.id, '--json']);
    expect(JSON.parse(json.out)).toEqual(server.decision);

    expect(await run(['decisions', 'show', 'dec-404'])).toMatchObject({
      code: 1,
      out: '',
      err: 'NOT_FOUND: no decision dec-404\n',
    });
  });

  it('prints the status: tenants, action counts, pending deliveries', async () => {
    server = await startAdminServer();
    const status = await run(['status']);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/acme\s+ready\s+v7/);
    expect(status.out).toMatch(/globex\s+invalid\s+-\s+tenants\/globex\.yaml:3:1 unknown key/);
    expect(status.out).toContain('actions  pending 1  running 0  failed 1  done 0');
    expect(status.out).toContain('inbox    pending 1');
    const json = JSON.parse((await run(['status', '--json'])).out) as { actions: unknown };
    expect(json.actions).toEqual({ pending: 1, running: 0, failed: 1, done: 0 });
  });

  it('completes a sandbox invitation, with a score or without one', async () => {
    server = await startAdminServer();
    expect(await run(['sandbox', 'complete', 'acme', 'inv-1', '--score', '82'])).toEqual({
      code: 0,
      out: 'invitation inv-1 of acme: completing (score 82)\n',
      err: '',
    });
    expect((await run(['sandbox', 'complete', 'acme', 'inv-2'])).code).toBe(0);
    expect(server.completions).toEqual([
      { tenant: 'acme', invitationId: 'inv-1', score: 82 },
      { tenant: 'acme', invitationId: 'inv-2', score: null },
    ]);
    expect((await run(['sandbox', 'complete', 'acme', 'inv-3', '--score', 'high'])).code).toBe(2);
    expect(await run(['sandbox', 'complete', 'acme', 'missing'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('NOT_FOUND'),
    });
    expect(server.completions).toHaveLength(2);
  });
});

describe('stagegate admin commands: reaching the service', () => {
  it('exits 2 without STAGEGATE_ADMIN_TOKEN, and never prints a token', async () => {
    server = await startAdminServer();
    const answer = await run(['status'], { STAGEGATE_ADMIN_TOKEN: undefined });
    expect(answer.code).toBe(2);
    expect(answer.err).toContain('STAGEGATE_ADMIN_TOKEN is not set');
  });

  it('exits 1 with UNAUTHORIZED on a wrong token, without echoing it', async () => {
    server = await startAdminServer();
    const answer = await run(['status'], { STAGEGATE_ADMIN_TOKEN: 'wrong-secret' });
    expect(answer.code).toBe(1);
    expect(answer.err).toContain('UNAUTHORIZED');
    expect(answer.err + answer.out).not.toContain('wrong-secret');
  });

  it('exits 1 and says so when the admin API is off', async () => {
    server = await startAdminServer({ token: undefined });
    const answer = await run(['actions', 'list']);
    expect(answer.code).toBe(1);
    expect(answer.err).toBe(
      'NOT_FOUND: The admin API is off: the service was started without STAGEGATE_ADMIN_TOKEN.\n',
    );
  });

  it('exits 2 naming the URL when nothing answers there (STAGEGATE_URL or --url)', async () => {
    const url = await closedPortUrl();
    const fromEnv = await run(['status'], { STAGEGATE_URL: url });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.err).toContain(`cannot reach the stagegate service at ${url}`);
    expect(fromEnv.err).not.toContain(adminToken);

    const fromFlag = await run(['actions', 'list', '--url', `${url}/`], {
      STAGEGATE_URL: 'http://127.0.0.1:1',
    });
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.err).toContain(url);
  });

  it('exits 2 on a URL that is not one', async () => {
    const answer = await run(['status', '--url', 'not a url']);
    expect(answer.code).toBe(2);
    expect(answer.err).toContain("'not a url' is not a URL");
  });
});
