import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { tenantEnvPrefix } from '../../src/config/resolve-secrets.js';
import type { Clock } from '../../src/kernel/clock.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { testStoreEnv } from './open-store.js';

/** A temp workspace with tenants/ (the given files), rules/ (the shipped pack) and data/. */
export async function createWorkspace(tenants: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'stagegate-ws-'));
  await mkdir(join(root, 'tenants'));
  await mkdir(join(root, 'rules'));
  const pack = 'assessment-lifecycle.yaml';
  await copyFile(resolve(import.meta.dirname, '../../rules', pack), join(root, 'rules', pack));
  for (const [id, text] of Object.entries(tenants))
    await writeFile(join(root, 'tenants', `${id}.yaml`), text);
  return root;
}

/** The real server on 127.0.0.1 port 0, its JSON log lines kept in `lines`. */
export async function startStagegate(
  root: string,
  env: Record<string, string>,
  lines: string[] = [],
  clock?: Clock,
): Promise<RunningServer & { lines: string[]; sleeps: number[] }> {
  const sleeps: number[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  const server = await startServer({
    cwd: root,
    // STAGEGATE_TEST_STORE=lowdb runs the integration tests on the lowdb backend.
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'debug',
      ...testStoreEnv(root),
      // The simulators listen on loopback; the operator allows it, as a test's operator.
      STAGEGATE_ALLOWED_HOSTS: '127.0.0.1',
      ...env,
    },
    logDestination: sink,
    ...(clock ? { clock } : {}),
    // Retries and rate limits do not wait for real time in tests; what they asked for is recorded.
    sleep: async (ms) => {
      sleeps.push(ms);
      (clock as { advance?: (ms: number) => void } | undefined)?.advance?.(ms);
    },
  });
  return Object.assign(server, { lines, sleeps });
}

/** A tenant on the sandbox provider whose Lever is at `leverUrl`, tokens and key from the env names given. */
export function sandboxTenant(id: string, leverUrl: string): string {
  const prefix = tenantEnvPrefix(id);
  return `tenant: ${id}
lever:
  apiKey: { env: ${prefix}LEVER_API_KEY }
  webhookTokens:
    candidateStageChange: [{ env: ${prefix}TOKEN }]
    candidateArchiveChange: [{ env: ${prefix}TOKEN }]
    candidateHired: [{ env: ${prefix}TOKEN }]
    candidateDeleted: [{ env: ${prefix}TOKEN }]
  baseUrl: ${leverUrl}
provider:
  kind: sandbox
tests:
  "Backend - Python": { providerTestId: "sandbox-python" }
  "Frontend - React": { providerTestId: "sandbox-react" }
triggers:
  - stage: Technical Screen
    defaultTest: "Backend - Python"
scoring: { pass: 70, fail: 40 }
`;
}

/** A tenant on a Greenhouse-partner vendor at `vendorUrl`, with Lever at `leverUrl`. */
export function partnerTenant(id: string, leverUrl: string, vendorUrl: string): string {
  return sandboxTenant(id, leverUrl).replace(
    'provider:\n  kind: sandbox\n',
    `provider:\n  kind: greenhouse-partner\n  baseUrl: ${vendorUrl}\n  apiKey: { env: ${tenantEnvPrefix(id)}VENDOR_KEY }\n`,
  );
}
