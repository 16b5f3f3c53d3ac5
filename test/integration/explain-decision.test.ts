import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureIo } from '../support/capture-io.js';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { createWorkspace, sandboxTenant, startStagegate } from '../support/start-stagegate.js';

const env = {
  ACME__LEVER_API_KEY: 'key-explain',
  ACME__TOKEN: 'token-explain',
  STAGEGATE_ADMIN_TOKEN: 'admin-explain-token-long-enough-to-be-accepted',
};

let lever: LeverSimulator;
let root: string;

beforeEach(async () => {
  lever = await startLeverSimulator({ apiKeys: [env.ACME__LEVER_API_KEY] });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  root = await createWorkspace({ acme: sandboxTenant('acme', lever.baseUrl) });
});

afterEach(async () => {
  await lever.close();
  await rm(root, { recursive: true, force: true });
});

describe('stagegate explain --decision', () => {
  it('prints a recorded decision and replays it against the tenant files here', async () => {
    const candidate = lever.addOpportunity({ stageId: 'stage-tech', emails: ['ada@example.com'] });
    const server = await startStagegate(root, env);
    try {
      await lever.deliverWebhook({
        url: `${server.url}/webhooks/lever/acme`,
        event: 'candidateStageChange',
        data: { opportunityId: candidate.id, toStageId: 'stage-tech' },
        signatureToken: env.ACME__TOKEN,
      });
      await server.idle();
      const [record] = await server.store.listDecisions({ tenant: 'acme' });
      const id = record?.id ?? '';
      const cliEnv = { STAGEGATE_URL: server.url, STAGEGATE_ADMIN_TOKEN: env.STAGEGATE_ADMIN_TOKEN };

      const same = captureIo({ cwd: root, env: cliEnv });
      expect(await runCli(['explain', '--decision', id], same)).toBe(0);
      expect(same.out()).toContain(`decision ${id}`);
      expect(same.out()).toContain(
        '{"type":"assessment.send","test":"Backend - Python","providerTestId":"sandbox-python"}',
      );
      expect(same.out()).toMatch(
        /replayed with the tenant files here \(config [0-9a-f]{12}\): the same actions/,
      );

      // An account manager switches a rule off: the replay (same facts, rules as edited) shows the difference.
      const file = join(root, 'tenants/acme.yaml');
      await writeFile(file, `${await readFile(file, 'utf8')}disableRules: [send-selected-test]\n`);
      const changed = captureIo({ cwd: root, env: cliEnv });
      expect(await runCli(['explain', '--decision', id], changed)).toBe(0);
      expect(changed.out()).toContain('different actions (- recorded, + now):');
      expect(changed.out()).toContain(
        '- {"type":"assessment.send","providerTestId":"sandbox-python","test":"Backend - Python"}',
      );
    } finally {
      await server.close();
    }
  });

  it('needs --tenant and --event, --tenant and --opportunity, or --decision', async () => {
    const io = captureIo({ cwd: root });
    expect(await runCli(['explain'], io)).toBe(2);
    expect(io.err()).toContain(
      'give --tenant ID --event FILE, --tenant ID --opportunity ID, or --decision ID',
    );
  });
});
