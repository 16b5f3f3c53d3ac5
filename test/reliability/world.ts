/**
 * What the reliability tests share: the world (test/support/start-world.ts), the tags they look
 * for, and Lever deliveries posted the way Lever does.
 */
import { tenantEnvPrefix } from '../../src/config/resolve-secrets.js';
import type { LeverSimulator } from '../support/lever-simulator.js';
import { tenantEnv } from '../support/start-world.js';
import type { VendorSimulator } from '../support/vendor-simulator.js';

export { startWorld, tenantEnv, type World } from '../support/start-world.js';

export const prefix = 'Hired Assessments';
export const sentTag = `${prefix} - Sent`;
export const errorTag = `${prefix} - Error`;
export const reactTag = 'Frontend - React';

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
      signatureToken: tenantEnv(tenant)[`${tenantEnvPrefix(tenant)}TOKEN`] ?? '',
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
