/**
 * The world stagegate runs against in integration and reliability tests: a Lever simulator, a
 * Greenhouse-partner vendor simulator, and a workspace with one partner tenant per id given, each
 * tenant with secrets of its own.
 */
import { rm } from 'node:fs/promises';
import { tenantEnvPrefix } from '../../src/config/resolve-secrets.js';
import type { Stage } from '../../src/lever/types.js';
import { type LeverSimulator, startLeverSimulator } from './lever-simulator.js';
import { createWorkspace, partnerTenant } from './start-stagegate.js';
import { startVendorSimulator, type VendorSimulator } from './vendor-simulator.js';

export interface World {
  lever: LeverSimulator;
  vendor: VendorSimulator;
  root: string;
  /** Every secret the tenants use, by env name. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Lever's time for timestamps and webhooks; defaults to Date.now. */
  now?: () => number;
  /** Lever's stages, in order; by default Phone Screen (stage-phone), then Technical Screen (stage-tech). */
  stages?: ReadonlyArray<Stage>;
  /** Lever's web app, where its `urls` point (a sandbox's differs from production's). */
  hireUrl?: string;
}

const defaultStages: ReadonlyArray<Stage> = [
  { id: 'stage-phone', text: 'Phone Screen' },
  { id: 'stage-tech', text: 'Technical Screen' },
];

/** Secrets per tenant, distinct so a test can tell them apart in logs and at the wrong tenant. */
export function tenantEnv(id: string): Record<string, string> {
  const prefix = tenantEnvPrefix(id);
  return {
    [`${prefix}LEVER_API_KEY`]: `lever-key-${id}-9f3c`,
    [`${prefix}TOKEN`]: `webhook-token-${id}-77ab`,
    [`${prefix}VENDOR_KEY`]: `vendor-key-${id}-41de`,
  };
}

/** The tenants' trigger stage is Technical Screen, with Backend - Python as its default test. */
export async function startWorld(
  tenants: readonly string[] = ['acme'],
  options: WorldOptions = {},
): Promise<World> {
  const env = Object.assign({}, ...tenants.map(tenantEnv)) as Record<string, string>;
  const lever = await startLeverSimulator({
    apiKeys: tenants.map((id) => tenantEnv(id)[`${tenantEnvPrefix(id)}LEVER_API_KEY`] ?? ''),
    // The simulator's limit runs on real time; stagegate's own bucket is what is under test.
    rateLimit: false,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.hireUrl === undefined ? {} : { hireUrl: options.hireUrl }),
  });
  for (const stage of options.stages ?? defaultStages) lever.addStage(stage);
  const vendor = await startVendorSimulator({
    apiKeys: tenants.map((id) => tenantEnv(id)[`${tenantEnvPrefix(id)}VENDOR_KEY`] ?? ''),
    tests: [
      { id: 'sandbox-python', name: 'Backend - Python' },
      { id: 'sandbox-react', name: 'Frontend - React' },
    ],
  });
  const root = await createWorkspace(
    Object.fromEntries(tenants.map((id) => [id, partnerTenant(id, lever.baseUrl, vendor.baseUrl)])),
  );
  return {
    lever,
    vendor,
    root,
    env,
    async close() {
      await Promise.all([lever.close(), vendor.close()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}
