import type { Logger } from 'pino';
import type { TenantRegistry } from '../config/tenant-registry.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError } from '../kernel/errors.js';
import type { Secret } from '../kernel/secret.js';
import type { InboxItem, Store } from '../store/types.js';
import { authenticateDelivery } from './authenticate-delivery.js';
import { findReadyTenant } from './find-ready-tenant.js';

export interface IntakeContext {
  registry: TenantRegistry;
  store: Store;
  clock: Clock;
  log: Logger;
  replayWindowMs: number;
  /**
   * The signature tokens the service registered itself for the tenant (OAuth tenants: one per
   * webhook, from the store), accepted beside the tenant file's.
   */
  storedWebhookTokens?: (tenant: string) => Promise<Readonly<Record<string, readonly Secret[]>>>;
  /** Called with each new (not duplicate) delivery once it is durable: the worker picks it up. */
  onAccepted?: (item: InboxItem) => void;
}

export type DeliveryAnswer =
  | { status: 202; body: { status: 'accepted'; id: string } }
  | { status: 200; body: { status: 'duplicate' } | { status: 'ping' } };

/**
 * The framework-free core of POST /webhooks/lever/:tenant: authenticate, then put the delivery in
 * the inbox. It resolves only once the delivery is durable, so a 2xx means Lever may forget it.
 */
export async function receiveDelivery(
  context: IntakeContext,
  tenant: string,
  body: unknown,
): Promise<DeliveryAnswer & { event: string }> {
  const { secrets } = findReadyTenant(context.registry, tenant);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new StagegateError('BAD_JSON', 'The delivery is not a JSON object.');
  }
  const envelope = body as Record<string, unknown>;
  const stored = (await context.storedWebhookTokens?.(tenant)) ?? {};
  const webhookTokens: Record<string, readonly Secret[]> = { ...secrets.webhookTokens };
  for (const [event, tokens] of Object.entries(stored)) {
    webhookTokens[event] = [
      ...(Object.hasOwn(webhookTokens, event) ? (webhookTokens[event] ?? []) : []),
      ...tokens,
    ];
  }
  const { event, token, triggeredAt } = authenticateDelivery({
    body: envelope,
    webhookTokens,
    now: context.clock.now(),
    replayWindowMs: context.replayWindowMs,
  });
  const data = envelope.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new StagegateError('BAD_JSON', 'The delivery has no data object.');
  }
  const opportunityId = readOpportunityId(data as Record<string, unknown>);
  const log = context.log.child({ tenant, event, token, opportunityId });
  // Lever's "Test" button sends `data: {}`: answer 2xx and do nothing.
  if (Object.keys(data).length === 0) {
    log.info('test ping received');
    return { event, status: 200, body: { status: 'ping' } };
  }
  const { duplicate, item } = await context.store.acceptDelivery({
    tenant,
    token,
    event,
    triggeredAt,
    opportunityId,
    // The envelope as Lever sent it, less the signature: it has done its job and is not kept.
    payload: withoutSignature(envelope),
  });
  if (duplicate) {
    log.info({ inboxId: item.id }, 'duplicate delivery ignored');
    return { event, status: 200, body: { status: 'duplicate' } };
  }
  log.info({ inboxId: item.id }, 'delivery accepted');
  context.onAccepted?.(item);
  return { event, status: 202, body: { status: 'accepted', id: item.id } };
}

function withoutSignature(envelope: Record<string, unknown>): Record<string, unknown> {
  const { signature: _signature, ...rest } = envelope;
  return rest;
}

function readOpportunityId(data: Record<string, unknown>): string | null {
  const id = data.opportunityId ?? data.candidateId;
  return typeof id === 'string' && id !== '' ? id : null;
}
