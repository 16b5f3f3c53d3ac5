import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signLeverWebhook } from '../../src/lever/webhook-signature.js';
import { shippedAllowedHosts } from '../support/load-shipped-tenant.js';

// The README's quick start, as an operator runs it: the built service, the shipped tenants and
// rules, only the demo tenant's secrets set. `npm test` builds dist/ before vitest runs.
const repoRoot = resolve(import.meta.dirname, '../..');
const demo = {
  DEMO__LEVER_API_KEY: 'quick-start-key',
  DEMO__LEVER_STAGE_TOKEN: 'quick-start-token',
  DEMO__VENDOR_KEY: 'quick-start-vendor-key',
};
const waitMs = 10_000;
const adminToken = 'quick-start-admin-token-0123456789abcdef';

let dataDir: string;
let child: ChildProcess | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stagegate-quick-start-'));
});

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

type LogLine = Record<string, unknown>;

/** Reads the child's JSON log lines as they come; `waitFor` also sees lines that came before it. */
function readLog(stdout: NodeJS.ReadableStream) {
  const lines: LogLine[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  // Read to the end: the child keeps logging, and a pipe nobody reads would block it.
  createInterface({ input: stdout }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of waiters) waiter(line);
  });
  return {
    lines,
    /** The first line that `matches`; rejects after `waitMs`. */
    waitFor(what: string, matches: (line: LogLine) => boolean): Promise<LogLine> {
      const seen = lines.find(matches);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolvePromise, reject) => {
        const waiter = (line: LogLine) => {
          if (!matches(line)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolvePromise(line);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no log line ${what} within ${waitMs} ms`));
        }, waitMs);
        waiters.add(waiter);
      });
    },
  };
}

async function deliver(url: string, data: Record<string, unknown>): Promise<number> {
  const token = `delivery-${Math.random().toString(16).slice(2)}`;
  const triggeredAt = Date.now();
  const response = await fetch(`${url}/webhooks/lever/demo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      event: 'candidateStageChange',
      triggeredAt,
      token,
      signature: signLeverWebhook(demo.DEMO__LEVER_STAGE_TOKEN, token, triggeredAt),
      data,
    }),
  });
  await response.body?.cancel();
  return response.status;
}

describe('quick start: node dist/src/main.js', () => {
  it('serves the shipped tenants, takes signed deliveries, and exits 0 on SIGTERM', async () => {
    const stderr: string[] = [];
    const stagegate = spawn(process.execPath, [join(repoRoot, 'dist/src/main.js')], {
      cwd: repoRoot,
      // A clean environment: no secret of acme or globex leaks in from the shell running the tests.
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        STAGEGATE_DATA_DIR: dataDir,
        STAGEGATE_TENANTS_DIR: join(repoRoot, 'tenants'),
        STAGEGATE_RULES_DIR: join(repoRoot, 'rules'),
        // The operator allows the demo's Lever (loopback) and the example vendors of acme and globex.
        STAGEGATE_ALLOWED_HOSTS: shippedAllowedHosts.join(','),
        STAGEGATE_ADMIN_TOKEN: adminToken,
        ...demo,
      },
    });
    child = stagegate;
    stagegate.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exited = once(stagegate, 'exit');
    const log = readLog(stagegate.stdout);
    const listening = await log
      .waitFor('"stagegate listening on …"', (line) => String(line.msg).startsWith('stagegate listening on '))
      .catch((error: unknown) => {
        throw new Error(`${String(error)}; stderr: ${stderr.join('')}`);
      });
    const url = String(listening.url);
    expect(listening.msg).toBe(`stagegate listening on ${url}`);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // Anyone learns only that the instance is ready, and how many tenants are in each state.
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(200);
    const readiness = await readyz.json();
    expect(readiness).toEqual({
      ready: true,
      store: 'writable',
      configuration: 'loaded',
      tenants: { ready: 1, 'not-ready': 2, invalid: 0 },
    });
    // The operator, with the admin token, sees which tenant needs what.
    const detailed = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${adminToken}` } });
    const detail = (
      (await detailed.json()) as { detail: { id: string; status: string; missing: string[] }[] }
    ).detail;
    const tenants = Object.fromEntries(detail.map((t) => [t.id, t]));
    expect(tenants.demo).toMatchObject({ status: 'ready', missing: [] });
    expect(tenants.acme?.status).toBe('not-ready');
    expect(tenants.acme?.missing.join('\n')).toContain('ACME__LEVER_API_KEY');
    expect(tenants.globex?.status).toBe('not-ready');
    expect(tenants.globex?.missing.join('\n')).toContain('GLOBEX__LEVER_API_KEY');

    // Lever's "Test" button: a signed delivery with no data.
    expect(await deliver(url, {})).toBe(200);
    // A real stage change is stored durably and accepted. The worker then asks the demo's Lever
    // (127.0.0.1:4010) about the candidate; nothing answers there in a test run, so it will retry.
    expect(await deliver(url, { opportunityId: 'o-quick', fromStageId: 's-1', toStageId: 's-2' })).toBe(202);
    // Once the worker has an outcome for its first try it waits between retries, and a shutdown
    // interrupts that wait; a Lever call in flight would hold shutdown up for its own retries.
    const worked = await log.waitFor(
      'about the delivery',
      (line) => line.opportunityId === 'o-quick' && String(line.msg).startsWith('delivery '),
    );
    expect(worked.tenant).toBe('demo');

    stagegate.kill('SIGTERM');
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no exit within ${waitMs} ms of SIGTERM`)), waitMs).unref(),
    );
    // The exit may wait for a Lever call in flight and its quick retries (a few seconds here, where
    // nothing listens at Lever's address); `waitMs` bounds it, with room for a loaded CI machine.
    const [code, signal] = await Promise.race([exited, timeout]);
    expect({ code, signal, stderr: stderr.join('') }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(log.lines.at(-1)).toMatchObject({ reason: 'SIGTERM', msg: 'stagegate stopped' });
  });
});

describe('quick start: npm start', () => {
  it('starts without rebuilding a current dist/, and a SIGTERM to npm stops node too', async () => {
    const stderr: string[] = [];
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dataDir,
        HOST: '127.0.0.1',
        PORT: '0',
        STAGEGATE_DATA_DIR: dataDir,
        STAGEGATE_TENANTS_DIR: join(dataDir, 'no-tenants'),
        // A terminal would get readable lines; this is a pipe, so JSON, as a log shipper wants.
      },
    });
    child = npm;
    npm.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    // 'close': npm has exited and every holder of its stdout, node included, has closed it.
    const closed = once(npm, 'close');
    const log = readLog(npm.stdout);
    const listening = await log
      .waitFor('"stagegate listening on …"', (line) => String(line.msg).startsWith('stagegate listening on '))
      .catch((error: unknown) => {
        throw new Error(`${String(error)}; stderr: ${stderr.join('')}`);
      });
    // `npm test` built dist/ before vitest ran: the prestart saw it was current.
    expect(stderr.join('')).toContain('stagegate: dist/ is up to date, not rebuilding');
    const nodePid = Number(listening.pid);
    expect(nodePid).not.toBe(npm.pid);

    // What a process manager does: signal the process it started, which is npm.
    npm.kill('SIGTERM');
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`npm did not exit within ${waitMs} ms of SIGTERM`)), waitMs).unref(),
    );
    await Promise.race([closed, timeout]);
    expect(log.lines.map((line) => line.msg)).toContain('stagegate stopped');
    // node got the signal and exited: it is not left running behind npm.
    expect(() => process.kill(nodePid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});
