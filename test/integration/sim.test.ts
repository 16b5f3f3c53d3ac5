import { readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { checkDemoTenant, type Sim, simPorts, startSim } from '../../scripts/sim.js';
import { runCli } from '../../src/cli/main.js';
import type { SimCandidate } from '../../src/cli/sim-command.js';
import type { RunningServer } from '../../src/main.js';
import { captureIo } from '../support/capture-io.js';
import { repoRoot } from '../support/load-shipped-tenant.js';
import { createWorkspace, startStagegate } from '../support/start-stagegate.js';

// `npm run sim` as a person uses it: the simulators, stagegate started with the variables the sim
// prints, and `stagegate sim …` to act. Ports are free ones here; the fixed ones are checked against
// tenants/demo.yaml below.
let sim: Sim;
let root: string;
let server: (RunningServer & { lines: string[] }) | undefined;

/** A loopback port nothing listens on (one the system handed out, then closed). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const shippedDemo = () => readFile(join(repoRoot, 'tenants/demo.yaml'), 'utf8');

beforeEach(async () => {
  root = await createWorkspace({});
  sim = await startSim({
    ports: { lever: 0, vendor: 0, control: 0 },
    dataDir: join(root, 'data'),
    leverRateLimit: false,
  });
  // tenants/demo.yaml as shipped, but for the free ports of this run.
  const demo = parseDocument(await shippedDemo());
  demo.setIn(['lever', 'baseUrl'], sim.lever.baseUrl);
  demo.setIn(['provider', 'baseUrl'], sim.vendor.baseUrl);
  await writeFile(join(root, 'tenants/demo.yaml'), demo.toString());
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await sim.close();
  await rm(root, { recursive: true, force: true });
});

/** stagegate with the sim's variables; where it listens and stores are this test's. */
async function startWithSimEnv(): Promise<RunningServer & { lines: string[] }> {
  const {
    HOST: _host,
    PORT: _port,
    STAGEGATE_PUBLIC_URL: _publicUrl,
    STAGEGATE_URL: _url,
    STAGEGATE_DATA_DIR: _dataDir,
    ...env
  } = sim.env.env;
  return startStagegate(root, env);
}

const cli = async (argv: string[]) => {
  const io = captureIo({ cwd: root, env: {} });
  const code = await runCli([...argv, '--sim-url', sim.controlUrl], io);
  return { code, out: io.out(), err: io.err() };
};

const list = async (): Promise<Record<string, SimCandidate>> => {
  const listed = await cli(['sim', 'list', '--json']);
  expect(listed.code).toBe(0);
  return Object.fromEntries((JSON.parse(listed.out) as SimCandidate[]).map((c) => [c.ref, c]));
};

describe('npm run sim', () => {
  it('the shipped demo tenant names the fixed ports of the simulators', async () => {
    const fixed = {
      lever: { baseUrl: `http://127.0.0.1:${simPorts.lever}/v1` },
      vendor: { baseUrl: `http://127.0.0.1:${simPorts.vendor}/partner` },
    } as Pick<Sim, 'lever' | 'vendor'>;
    expect(checkDemoTenant(await shippedDemo(), fixed)).toEqual([]);
    expect(checkDemoTenant(await shippedDemo(), sim)).toHaveLength(2);
  });

  it('prints one export line holding every variable npm start needs, and `sim env` gives it too', async () => {
    const { env, exportLine } = sim.env;
    expect(exportLine.startsWith('export ')).toBe(true);
    const parsed = Object.fromEntries(
      exportLine
        .slice('export '.length)
        .split(' ')
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );
    expect(parsed).toEqual(env);
    expect(Object.keys(env).sort()).toEqual(
      [
        'DEMO__LEVER_API_KEY',
        'DEMO__LEVER_STAGE_TOKEN',
        'DEMO__VENDOR_KEY',
        'HOST',
        'PORT',
        'STAGEGATE_ADMIN_TOKEN',
        'STAGEGATE_ALLOWED_HOSTS',
        'STAGEGATE_DATA_DIR',
        'STAGEGATE_PUBLIC_URL',
        'STAGEGATE_URL',
      ].sort(),
    );
    expect(env.STAGEGATE_ADMIN_TOKEN?.length).toBeGreaterThanOrEqual(32);
    const printed = await cli(['sim', 'env']);
    expect(printed).toEqual({ code: 0, out: `${exportLine}\n`, err: '' });
  });

  it('move sends the signed webhook, the vendor gets the invitation, complete brings the Pass tag', async () => {
    server = await startWithSimEnv();
    const running = server;
    const readyz = await fetch(`${running.url}/readyz`, {
      headers: { authorization: `Bearer ${sim.env.env.STAGEGATE_ADMIN_TOKEN}` },
    });
    const detail = ((await readyz.json()) as { detail: { id: string; status: string }[] }).detail;
    expect(detail.find((t) => t.id === 'demo')?.status).toBe('ready');

    const moved = await cli(['sim', 'move', 'ada', 'Technical Screen', '--url', running.url]);
    expect(moved.err).toBe('');
    expect(moved.out).toContain(
      'Ada Lovelace: Phone Screen → Technical Screen; Lever sent candidateStageChange',
    );
    expect(moved.out).toContain('which answered 202');
    expect(moved.code).toBe(0);
    await running.idle();

    const [sent, ...more] = sim.vendor.sends();
    expect(more).toEqual([]);
    expect(sent?.body).toMatchObject({
      partner_test_id: 'sandbox-python',
      candidate: { email: 'ada@example.com' },
    });
    expect((await list()).ada).toMatchObject({
      stage: 'Technical Screen',
      tags: ['Hired Assessments - Sent'],
      invitations: [{ test: 'Backend - Python', status: 'sent', score: null }],
    });

    const completed = await cli(['sim', 'complete', 'ada', '--score', '82']);
    expect(completed.err).toBe('');
    expect(completed.out).toContain('Ada Lovelace completed Backend - Python (pi-1) with score 82');
    expect(completed.code).toBe(0);
    await running.idle();
    await running.idle(); // the check at the vendor after the callback runs in the background

    expect(sim.lever.getOpportunity('opp-ada')?.tags).toEqual(['Hired Assessments - Pass']);
    const ada = (await list()).ada;
    expect(ada?.invitations).toEqual([
      { id: 'pi-1', test: 'Backend - Python', status: 'complete', score: 82 },
    ]);
    expect(ada?.notes[0]).toMatch(
      /^Backend - Python completed\. Score: 82\. Report: https:\/\/vendor\.example/,
    );
    const table = await cli(['sim', 'list']);
    expect(table.out).toMatch(
      /^ada +Ada Lovelace +Technical Screen +Hired Assessments - Pass +Backend - Python complete 82$/m,
    );

    // Nothing left to complete: said so, exit 1.
    const again = await cli(['sim', 'complete', 'ada', '--score', '82']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('Ada has no open invitation at the vendor: Backend - Python complete');
  });

  it('says what to do when stagegate is not running, a name is wrong, or no simulator runs', async () => {
    // Nothing listens there: the move is undone so that it can be tried again.
    const closed = await closedPort();
    const down = await cli([
      'sim',
      'move',
      'grace',
      'technical screen',
      '--url',
      `http://127.0.0.1:${closed}`,
    ]);
    expect(down.code).toBe(1);
    expect(down.err).toContain(`stagegate does not answer at http://127.0.0.1:${closed} (ECONNREFUSED)`);
    expect(down.err).toContain('npx stagegate sim env');
    expect((await list()).grace?.stage).toBe('Phone Screen');

    // stagegate started without the sim's variables: the demo tenant is not ready, and that is said.
    const { DEMO__LEVER_API_KEY = '', DEMO__LEVER_STAGE_TOKEN = '' } = sim.env.env;
    server = await startStagegate(root, { DEMO__LEVER_API_KEY, DEMO__LEVER_STAGE_TOKEN });
    const notReady = await cli(['sim', 'move', 'grace', 'Technical Screen', '--url', server.url]);
    expect(notReady.code).toBe(1);
    expect(notReady.out).toContain('which answered 503');
    expect(notReady.err).toContain('stagegate has the demo tenant but it is not ready (a secret is not set)');

    const nobody = await cli(['sim', 'move', 'bob', 'Technical Screen']);
    expect(nobody).toMatchObject({ code: 1 });
    expect(nobody.err).toContain("no candidate 'bob' in the simulator: it has ada, grace, linus, alan");
    const nowhere = await cli(['sim', 'move', 'ada', 'Offer']);
    expect(nowhere.err).toContain(
      `no stage 'Offer' in the Lever simulator: it has "Phone Screen", "Technical Screen", "On-site Interview"`,
    );
    const notSent = await cli(['sim', 'complete', 'linus']);
    expect(notSent.err).toContain('the vendor has sent Linus nothing');
    const badScore = await cli(['sim', 'complete', 'ada', '--score', 'high']);
    expect(badScore).toMatchObject({
      code: 2,
      err: "--score must be a number, e.g. --score 82; got 'high'\n",
    });

    const io = captureIo({ cwd: root, env: { STAGEGATE_SIM_URL: `http://127.0.0.1:${closed}` } });
    expect(await runCli(['sim', 'list'], io)).toBe(2);
    expect(io.err()).toContain(
      `no simulator answers at http://127.0.0.1:${closed} (ECONNREFUSED): start it with \`npm run sim\``,
    );
  });
});
