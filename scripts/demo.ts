/**
 * `npm run demo`: three candidates walk through stagegate against a local Lever and a local
 * assessment vendor, both simulators speaking the real protocols over HTTP on loopback, and the
 * demo prints what a recruiter would see in Lever after each step. It checks itself: any
 * difference from what the demo tenant should do ends it with exit status 1.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { parseDocument } from 'yaml';
import { type RunningServer, startServer } from '../src/main.js';
import { type LeverSimulator, startLeverSimulator } from '../test/support/lever-simulator.js';
import { startVendorSimulator, type VendorSimulator } from '../test/support/vendor-simulator.js';

export interface DemoOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface DemoOptions {
  out: DemoOutput;
  /** ANSI colours; by default only on a TTY and never with NO_COLOR. */
  color?: boolean;
}

const repoRoot = resolve(import.meta.dirname, '..');
const secrets = {
  DEMO__LEVER_API_KEY: 'demo-lever-key',
  DEMO__LEVER_STAGE_TOKEN: 'demo-stage-token',
  DEMO__VENDOR_KEY: 'demo-vendor-key',
};
const tenant = 'demo';
/** The demo's operator token for /readyz's detail: made fresh, at least 32 characters. */
const adminToken = randomBytes(24).toString('hex');
const prefix = 'Hired Assessments';
const steps = 8;

class DemoFailure extends Error {}

/** Runs the demo and resolves to the exit status: 0 when every expectation held, 1 otherwise. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const color = options.color ?? (options.out.isTTY === true && !process.env.NO_COLOR);
  const paint = (code: string) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const bold = paint('1');
  const dim = paint('2');
  const green = paint('32');
  const red = paint('31');
  const print = (line = '') => options.out.write(`${line}\n`);
  let step = 0;
  const header = (text: string) => print(`${bold(`[${++step}/${steps}]`)} ${text}`);
  const expect = (holds: boolean, what: string) => {
    if (!holds) throw new DemoFailure(what);
  };

  const started = Date.now();
  const workspace = await mkdtemp(join(tmpdir(), 'stagegate-demo-'));
  const logFile = join(workspace, 'stagegate.log');
  const logDestination = pino.destination({ dest: logFile, sync: true });
  let lever: LeverSimulator | undefined;
  let vendor: VendorSimulator | undefined;
  let server: RunningServer | undefined;
  let failed = true;
  print(bold('stagegate demo: the demo tenant, a local Lever, a local assessment vendor'));
  print();
  try {
    lever = await startLeverSimulator({ apiKeys: [secrets.DEMO__LEVER_API_KEY] });
    lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
    lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
    header(`Lever simulator listening on ${lever.baseUrl}`);
    print(dim('      stages: Phone Screen, Technical Screen (the demo tenant’s trigger stage)'));
    vendor = await startVendorSimulator({
      apiKeys: [secrets.DEMO__VENDOR_KEY],
      tests: [
        { id: 'sandbox-python', name: 'Backend - Python' },
        { id: 'sandbox-react', name: 'Frontend - React' },
      ],
    });
    header(`Assessment vendor simulator listening on ${vendor.baseUrl}`);
    print(
      dim('      it speaks the Greenhouse partner protocol: list_tests, send_test, a PATCH, test_status'),
    );

    // The simulators listen on free ports, so the demo never collides with whatever holds a fixed
    // one; stagegate reads a copy of tenants/demo.yaml that points at them.
    await writeDemoTenant(workspace, lever.baseUrl, vendor.baseUrl);
    server = await startServer({
      cwd: workspace,
      env: {
        ...secrets,
        HOST: '127.0.0.1',
        PORT: '0',
        STAGEGATE_ADMIN_TOKEN: adminToken,
        // Both simulators are on loopback: the operator (here, the demo) allows it.
        STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
        STAGEGATE_TENANTS_DIR: join(workspace, 'tenants'),
        STAGEGATE_RULES_DIR: join(repoRoot, 'rules'),
        STAGEGATE_DATA_DIR: join(workspace, 'data'),
      },
      logDestination,
    });
    // Per-tenant detail is the operator's: /readyz gives it with the admin token.
    const readyz = await fetch(`${server.url}/readyz`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const readiness = (await readyz.json()) as { detail?: { id: string; status: string }[] };
    const demoStatus = readiness.detail?.find((t) => t.id === tenant)?.status;
    header(`stagegate listening on ${server.url} → tenant ${tenant} ${demoStatus ?? 'missing'}`);
    expect(demoStatus === 'ready', `tenant ${tenant} should be ready, /readyz says ${String(demoStatus)}`);
    print(dim(`      its JSON log goes to ${logFile}`));
    print();

    const running = server;
    const simulator = lever;
    const vendorSimulator = vendor;
    const show = (opportunityId: string) => {
      const opportunity = simulator.getOpportunity(opportunityId);
      print(`      ${dim('Lever shows')}  tags:  ${list(opportunity?.tags ?? [])}`);
      const links = opportunity?.links ?? [];
      if (links.length > 0) print(`                   links: ${list(links)}`);
      for (const note of simulator.notes(opportunityId)) {
        const [first, ...rest] = note.value.split('\n').filter((line) => line !== '');
        print(`                   note:  ${first}`);
        for (const line of rest) print(`                          ${line}`);
      }
      return {
        tags: opportunity?.tags ?? [],
        links,
        notes: simulator.notes(opportunityId).map((n) => n.value),
      };
    };
    const reachTechnicalScreen = async (name: string, opportunityId: string) => {
      const result = await simulator.deliverWebhook({
        url: `${running.url}/webhooks/lever/${tenant}`,
        event: 'candidateStageChange',
        data: { opportunityId, fromStageId: 'stage-phone', toStageId: 'stage-tech' },
        signatureToken: secrets.DEMO__LEVER_STAGE_TOKEN,
      });
      header(`${name} reaches Technical Screen → Lever webhook → ${result.status}`);
      expect(result.status === 202, `the webhook for ${name} should be accepted with 202`);
      await running.idle();
      return running.store.listInvitations({ tenant, opportunityId });
    };
    const complete = async (name: string, opportunityId: string, score: number, verdict: string) => {
      const [invitation] = await running.store.listInvitations({ tenant, opportunityId });
      expect(invitation !== undefined, `${name} should have an invitation to complete`);
      header(`${name} completes ${invitation?.test} at the vendor, score ${score} → ${verdict}`);
      // The vendor PATCHes stagegate's callback URL; stagegate then asks it for the result.
      const callback = await vendorSimulator.complete(invitation?.vendorInvitationId ?? '', { score });
      expect(callback >= 200 && callback < 300, `the vendor's callback should be accepted, got ${callback}`);
      await running.idle();
      await running.idle(); // the check after the callback runs in the background
      const [after] = await running.store.listInvitations({ tenant, opportunityId });
      expect(
        after?.status === 'completed' && after.score === score,
        `${name}'s invitation should be completed with score ${score}`,
      );
      const reportUrl = after?.reportUrl ?? '';
      const seen = show(opportunityId);
      const test = after?.test ?? '';
      expect(seen.tags.includes(`${prefix} - ${verdict}`), `${name} should be tagged ${prefix} - ${verdict}`);
      expect(!seen.tags.includes(`${prefix} - Sent`), `${name}'s Sent tag should be replaced`);
      expect(seen.links.includes(reportUrl), `${name} should have the report link ${reportUrl}`);
      expect(
        seen.notes.some((note) =>
          note.startsWith(`${test} completed. Score: ${score}. Report: ${reportUrl}\n`),
        ),
        `${name} should have a note with the score ${score} and the report link`,
      );
      return test;
    };

    // Ada: nothing names a test, so the trigger stage's default test goes out.
    const ada = lever.addOpportunity({
      name: 'Ada Lovelace',
      stageId: 'stage-tech',
      emails: ['ada@example.com'],
    });
    const adaSent = await reachTechnicalScreen('Ada', ada.id);
    print(
      dim(`      stagegate sent ${list(adaSent.map((i) => i.test))} (the stage default) to ada@example.com`),
    );
    const adaTags = show(ada.id).tags;
    expect(
      adaSent.length === 1 && adaSent[0]?.test === 'Backend - Python',
      'Ada should be sent Backend - Python, the stage default',
    );
    expect(same(adaTags, [`${prefix} - Sent`]), `Ada should be tagged ${prefix} - Sent`);
    await complete('Ada', ada.id, 85, 'Pass');
    print();

    // Grace: a tag naming a test overrides the stage default.
    const grace = lever.addOpportunity({
      name: 'Grace Hopper',
      stageId: 'stage-tech',
      emails: ['grace@example.com'],
      tags: ['Frontend - React'],
    });
    const graceSent = await reachTechnicalScreen('Grace (tagged “Frontend - React”)', grace.id);
    print(dim(`      stagegate sent ${list(graceSent.map((i) => i.test))} (her tag) to grace@example.com`));
    const graceTags = show(grace.id).tags;
    expect(
      graceSent.length === 1 && graceSent[0]?.test === 'Frontend - React',
      'Grace should be sent Frontend - React, the test her tag names',
    );
    expect(graceTags.includes(`${prefix} - Sent`), `Grace should be tagged ${prefix} - Sent`);
    await complete('Grace', grace.id, 22, 'Fail');
    print();

    // Linus: two tags name tests; the tenant holds such candidates for a person to decide.
    const linus = lever.addOpportunity({
      name: 'Linus Torvalds',
      stageId: 'stage-tech',
      emails: ['linus@example.com'],
      tags: ['Backend - Python', 'Frontend - React'],
    });
    const linusSent = await reachTechnicalScreen('Linus (tagged with two tests)', linus.id);
    print(dim('      stagegate held him: nothing sent'));
    const linusSeen = show(linus.id);
    expect(linusSent.length === 0, 'nothing should be sent to Linus');
    expect(linusSeen.tags.includes(`${prefix} - Error`), `Linus should be tagged ${prefix} - Error`);
    expect(
      linusSeen.notes.length === 1 &&
        linusSeen.notes.every(
          (note) => note.includes('Backend - Python') && note.includes('Frontend - React'),
        ),
      'Linus should have one note naming both test tags',
    );
    print();

    const failedActions = await server.store.listActions({ tenant, status: 'failed' });
    expect(failedActions.length === 0, `no action should fail, ${failedActions.length} did`);
    const invitations = await server.store.listInvitations({ tenant });
    print(bold('Summary'));
    print(`  ${green('✓')} Ada Lovelace    Backend - Python   85 → ${prefix} - Pass, report link, note`);
    print(`  ${green('✓')} Grace Hopper    Frontend - React   22 → ${prefix} - Fail, report link, note`);
    print(`  ${green('✓')} Linus Torvalds  two test tags         → ${prefix} - Error, note, nothing sent`);
    expect(
      vendor.sends().length === invitations.length,
      `the vendor should have ${invitations.length} invitations, it has ${vendor.sends().length}`,
    );
    print(
      `  ${invitations.length} invitations, ${lever.requests.length} Lever API calls, ` +
        `${vendor.requests.length} vendor API calls, 0 failed actions, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    failed = false;
    return 0;
  } catch (error) {
    const message = error instanceof DemoFailure ? `expected: ${error.message}` : errorText(error);
    print();
    print(`${red('✗ demo failed')}: ${message}`);
    print(`  stagegate’s log and data are kept in ${workspace}`);
    return 1;
  } finally {
    await server?.close();
    await lever?.close();
    await vendor?.close();
    logDestination.end();
    if (!failed) await rm(workspace, { recursive: true, force: true });
  }
}

/**
 * tenants/demo.yaml as shipped (comments and order kept), but with Lever at `leverUrl` and the
 * built-in sandbox vendor swapped for a Greenhouse-partner vendor at `vendorUrl`.
 */
async function writeDemoTenant(workspace: string, leverUrl: string, vendorUrl: string): Promise<void> {
  const document = parseDocument(await readFile(join(repoRoot, 'tenants', `${tenant}.yaml`), 'utf8'));
  if (!document.hasIn(['lever', 'baseUrl'])) {
    throw new Error(`tenants/${tenant}.yaml has no lever.baseUrl to point at the simulator`);
  }
  document.setIn(['lever', 'baseUrl'], leverUrl);
  document.setIn(['provider'], {
    kind: 'greenhouse-partner',
    baseUrl: vendorUrl,
    apiKey: { env: 'DEMO__VENDOR_KEY' },
  });
  await mkdir(join(workspace, 'tenants'));
  await writeFile(join(workspace, 'tenants', `${tenant}.yaml`), document.toString());
}

function list(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : items.join(', ');
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runDemo({ out: process.stdout });
}
