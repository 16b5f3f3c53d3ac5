/**
 * The world a reliability test runs in: a Lever simulator with a Technical Screen trigger stage, a
 * Greenhouse-partner vendor simulator, and a workspace with one partner tenant per id given.
 */
import { rm } from 'node:fs/promises';
import { type LeverSimulator, startLeverSimulator } from '../support/lever-simulator.js';
import { createWorkspace, partnerTenant } from '../support/start-stagegate.js';
import { startVendorSimulator, type VendorSimulator } from '../support/vendor-simulator.js';

export const prefix = 'Hired Assessments';
export const sentTag = `${prefix} - Sent`;
export const errorTag = `${prefix} - Error`;
export const reactTag = 'Frontend - React';

export interface World {
  lever: LeverSimulator;
  vendor: VendorSimulator;
  root: string;
  /** Every secret the tenants use, by env name. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Secrets per tenant, distinct so a test can tell them apart in logs and at the wrong tenant. */
export function tenantEnv(id: string): Record<string, string> {
  const upper = id.toUpperCase();
  return {
    [`${upper}_LEVER_API_KEY`]: `lever-key-${id}-9f3c`,
    [`${upper}_TOKEN`]: `webhook-token-${id}-77ab`,
    [`${upper}_VENDOR_KEY`]: `vendor-key-${id}-41de`,
  };
}

export async function startWorld(
  tenants: readonly string[] = ['acme'],
  leverOptions: { now?: () => number } = {},
): Promise<World> {
  const env = Object.assign({}, ...tenants.map(tenantEnv)) as Record<string, string>;
  const lever = await startLeverSimulator({
    apiKeys: tenants.map((id) => tenantEnv(id)[`${id.toUpperCase()}_LEVER_API_KEY`] ?? ''),
    // The simulator's limit runs on real time; stagegate's own bucket is what is under test.
    rateLimit: false,
    ...leverOptions,
  });
  lever.addStage({ id: 'stage-phone', text: 'Phone Screen' });
  lever.addStage({ id: 'stage-tech', text: 'Technical Screen' });
  const vendor = await startVendorSimulator({
    apiKeys: tenants.map((id) => tenantEnv(id)[`${id.toUpperCase()}_VENDOR_KEY`] ?? ''),
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

export type DeliveryKind = 'stage' | 'hired' | 'archived';

/** One distinct Lever delivery; redeliveries reuse its token and triggeredAt. */
export interface Delivery {
  token: string;
  kind: DeliveryKind;
  opportunityId: string;
  triggeredAt: number;
}

export function eventOf(delivery: Delivery): { event: string; data: Record<string, unknown> } {
  const opportunityId = delivery.opportunityId;
  switch (delivery.kind) {
    case 'stage':
      return {
        event: 'candidateStageChange',
        data: { opportunityId, toStageId: 'stage-tech', fromStageId: 'stage-phone' },
      };
    case 'hired':
      return { event: 'candidateHired', data: { opportunityId, candidateId: opportunityId } };
    case 'archived':
      return {
        event: 'candidateArchiveChange',
        data: {
          opportunityId,
          fromArchived: null,
          toArchived: { archivedAt: delivery.triggeredAt, reason: 'reason-hired-elsewhere' },
        },
      };
  }
}

/** Posts a delivery the way Lever does; resolves to the status, or null when the connection failed. */
export async function post(
  lever: LeverSimulator,
  url: string,
  tenant: string,
  delivery: Delivery,
): Promise<number | null> {
  try {
    const result = await lever.deliverWebhook({
      url: `${url}/webhooks/lever/${tenant}`,
      ...eventOf(delivery),
      signatureToken: tenantEnv(tenant)[`${tenant.toUpperCase()}_TOKEN`] ?? '',
      token: delivery.token,
      triggeredAt: delivery.triggeredAt,
    });
    return result.status;
  } catch {
    return null;
  }
}

/** Sends per candidate e-mail address at the vendor simulator. */
export function sendsByEmail(vendor: VendorSimulator): Map<string, string[]> {
  const sends = new Map<string, string[]>();
  for (const send of vendor.sends()) {
    const email = String((send.body.candidate as { email?: unknown } | undefined)?.email);
    sends.set(email, [...(sends.get(email) ?? []), String(send.body.partner_test_id)]);
  }
  return sends;
}

export const emailOf = (opportunityId: string) => `${opportunityId}@candidates.example`;
