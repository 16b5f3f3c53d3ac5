import { cp, mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchTests } from '../../src/cli/watch-tests.js';
import { captureIo } from '../support/capture-io.js';
import { repoRoot } from '../support/load-shipped-tenant.js';

// `stagegate test --watch` on real files in a temp dir, with the real chokidar watcher and real saves.
// No test sleeps: each one waits (bounded) for the output the save should cause, then goes on.

type Watch = Awaited<ReturnType<typeof startWatch>>;
let running: Watch | undefined;

afterEach(async () => {
  await running?.stop();
  if (running) await rm(running.dir, { recursive: true, force: true });
  running = undefined;
});

/** The shipped tenants, fixtures and pack copied to a temp dir, watched until `stop()`. */
async function startWatch(paths: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-watch-'));
  await cp(join(repoRoot, 'tenants'), join(dir, 'tenants'), { recursive: true });
  await cp(join(repoRoot, 'rules'), join(dir, 'rules'), { recursive: true });
  const io = captureIo({ cwd: dir });
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let finished = false;
  const done = watchTests(io, paths, {}, { stopped }).finally(() => {
    finished = true;
  });
  const watch = {
    dir,
    io,
    finished: () => finished,
    path: (file: string) => join(dir, file),
    /** What is printed from now on: call before the save, read after it. */
    since() {
      const out = io.out().length;
      const err = io.err().length;
      return { out: () => io.out().slice(out), err: () => io.err().slice(err) };
    },
    /** Rewrites a file of the workspace through `edit`. */
    async save(file: string, edit: (text: string) => string = (text) => text) {
      await writeFile(join(dir, file), edit(await readFile(join(dir, file), 'utf8')));
    },
    stop() {
      stop();
      return done;
    },
  };
  running = watch;
  await until(() => expect(io.out()).toContain('watching tenants, rules for changes'));
  return watch;
}

const until = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 10 });

const header = (...files: string[]) => `\n— ${files.join(', ')} changed —\n`;
const summaries = (out: string) => out.match(/^\d+ passed, \d+ failed$/gm) ?? [];
const green = /^\d+ passed, 0 failed$/m;

describe('stagegate test --watch', () => {
  it('runs every fixture first, and stop resolves with the exit code of the last run', async () => {
    const watch = await startWatch();
    const out = watch.io.out();
    expect(out).toMatch(/coverage acme: 100% of 24 rules/);
    expect(out).toMatch(/coverage demo: 100%/);
    expect(out).toMatch(/coverage globex: 100%/);
    expect(out).toMatch(green);

    const after = watch.since();
    await watch.save('tenants/acme.test.yaml', (text) =>
      text.replace('providerTestId: t-101', 'providerTestId: t-999'),
    );
    await until(() => expect(after.out()).toMatch(/^\d+ passed, 1 failed$/m));
    expect(after.out()).toContain('✗ acme: the stage default is sent at Technical Screen');
    expect(await watch.stop()).toBe(1);
  });

  it('reruns only the fixture of the tenant whose tenant file or fixture was saved', async () => {
    const watch = await startWatch();

    const afterTenant = watch.since();
    await watch.save('tenants/acme.yaml', (text) => text.replace('Acme Corp', 'Acme Corporation'));
    await until(() => expect(afterTenant.out()).toMatch(green));
    expect(afterTenant.out()).toContain(header('tenants/acme.yaml'));
    expect(afterTenant.out()).toMatch(/coverage acme: 100% of 24 rules/);
    expect(afterTenant.out()).not.toMatch(/demo|globex/);

    const afterFixture = watch.since();
    await watch.save('tenants/acme.test.yaml', (text) =>
      text.replace('the stage default is sent at Technical Screen', 'the stage default is still sent'),
    );
    await until(() => expect(afterFixture.out()).toMatch(green));
    expect(afterFixture.out()).toContain(header('tenants/acme.test.yaml'));
    expect(afterFixture.out()).toContain('✓ acme: the stage default is still sent');
    expect(afterFixture.out()).not.toMatch(/demo|globex/);
    expect(await watch.stop()).toBe(0);
  });

  it('reruns every fixture when a rule pack is saved', async () => {
    const watch = await startWatch();
    const after = watch.since();
    await watch.save('rules/assessment-lifecycle.yaml', (text) => `${text}# saved\n`);
    await until(() => expect(after.out()).toMatch(green));
    expect(after.out()).toContain(header('rules/assessment-lifecycle.yaml'));
    for (const tenant of ['acme', 'demo', 'globex'])
      expect(after.out()).toMatch(new RegExp(`coverage ${tenant}: 100%`));
  });

  it('prints an invalid tenant with its file:line:col, keeps watching, and runs green once it is fixed', async () => {
    const watch = await startWatch();
    const acme = await readFile(watch.path('tenants/acme.yaml'), 'utf8');

    const afterBreak = watch.since();
    await watch.save('tenants/acme.yaml', () =>
      acme.replace('    defaultTest: "Backend - Python"', '    defaultTset: "Backend - Python"'),
    );
    await until(() =>
      expect(afterBreak.err()).toContain(
        "tenants/acme.yaml:23:5: unknown key 'defaultTset' (at triggers[0].defaultTset) [unknown-key]",
      ),
    );
    expect(watch.finished()).toBe(false);

    const afterFix = watch.since();
    await watch.save('tenants/acme.yaml', () => acme);
    await until(() => expect(afterFix.out()).toMatch(green));
    expect(afterFix.out()).toContain('✓ acme: the stage default is sent at Technical Screen');
    expect(afterFix.err()).toBe('');
    expect(await watch.stop()).toBe(0);
  });

  it('ignores swap files and tenants without a fixture, follows a rename save, names a deleted tenant file', async () => {
    const watch = await startWatch();
    const after = watch.since();
    await writeFile(watch.path('tenants/.acme.yaml.swp'), 'swap');
    await writeFile(watch.path('tenants/acme.yaml~'), 'backup');
    await writeFile(watch.path('rules/.assessment-lifecycle.yaml.swp'), 'swap');
    const demo = await readFile(watch.path('tenants/demo.yaml'), 'utf8');
    await writeFile(watch.path('tenants/initech.yaml'), demo.replace('tenant: demo', 'tenant: initech'));
    const temp = watch.path('tenants/.acme.yaml.4821.tmp');
    await writeFile(temp, await readFile(watch.path('tenants/acme.yaml'), 'utf8'));
    await rename(temp, watch.path('tenants/acme.yaml'));
    await until(() => expect(after.out()).toMatch(green));
    expect(after.out()).toContain(header('tenants/acme.yaml'));
    expect(`${after.out()}${after.err()}`).not.toMatch(/swp|~|tmp|initech|demo|globex/);

    const afterDelete = watch.since();
    await unlink(watch.path('tenants/demo.yaml'));
    await until(() =>
      expect(afterDelete.err()).toContain('tenants/demo.yaml:1:1: no such file [unreadable-file]'),
    );
    // With its fixture gone too, demo has nothing left to run.
    await unlink(watch.path('tenants/demo.test.yaml'));
    const afterSave = watch.since();
    await watch.save('tenants/acme.yaml');
    await until(() => expect(afterSave.out()).toMatch(green));
    expect(`${afterSave.out()}${afterSave.err()}`).not.toContain('demo');
    expect(await watch.stop()).toBe(0);
  });

  it('stays on the fixtures named on the command line: another tenant runs nothing, a pack reruns them', async () => {
    const watch = await startWatch(['tenants/acme.test.yaml']);
    expect(watch.io.out()).toMatch(/coverage acme: 100%/);
    expect(watch.io.out()).not.toMatch(/demo|globex/);

    const after = watch.since();
    await watch.save('tenants/demo.yaml');
    await watch.save('rules/assessment-lifecycle.yaml', (text) => `${text}# saved\n`);
    await until(() => expect(after.out()).toMatch(green));
    expect(after.out()).toContain(header('rules/assessment-lifecycle.yaml'));
    expect(after.out()).toMatch(/coverage acme: 100%/);
    expect(after.out()).not.toMatch(/demo|globex/);
    expect(await watch.stop()).toBe(0);
  });

  it('takes a tenant file for its fixture: a save of either reruns that fixture', async () => {
    const watch = await startWatch(['tenants/acme.yaml']);
    expect(watch.io.out()).toMatch(/coverage acme: 100%/);
    const after = watch.since();
    await watch.save('tenants/acme.test.yaml');
    await until(() => expect(after.out()).toMatch(green));
    expect(after.out()).toContain(header('tenants/acme.test.yaml'));
    expect(after.out()).toMatch(/coverage acme: 100%/);
    expect(await watch.stop()).toBe(0);
  });

  it('runs a save made after a rerun started once that rerun is done, each report under its header', async () => {
    // A run does not yield to the event loop today, so no save is seen mid-run; the queue in
    // watchTests keeps the runs apart if one ever does (e.g. a run that reads files asynchronously).
    const watch = await startWatch();
    const after = watch.since();
    await watch.save('tenants/acme.test.yaml');
    await until(() => expect(after.out()).toContain(header('tenants/acme.test.yaml')));
    await watch.save('tenants/demo.yaml');
    await until(() => expect(summaries(after.out())).toHaveLength(2));
    expect(after.out().match(/^— .* changed —$|^coverage \w+|^\d+ passed, \d+ failed$/gm)).toEqual([
      '— tenants/acme.test.yaml changed —',
      'coverage acme',
      expect.stringMatching(green),
      '— tenants/demo.yaml changed —',
      'coverage demo',
      expect.stringMatching(green),
    ]);
    expect(await watch.stop()).toBe(0);
  });
});
