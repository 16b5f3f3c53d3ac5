import { randomUUID } from 'node:crypto';
import { copyJson } from './copy-json.js';
import type { DeliveryInput, InboxItem } from './types.js';

/** A delivery received at `now`, as a new pending inbox item copied the way the store keeps records. */
export function createInboxItem(input: DeliveryInput, now: number): InboxItem {
  return copyJson({
    id: `inb_${randomUUID()}`,
    tenant: input.tenant,
    token: input.token,
    event: input.event,
    triggeredAt: input.triggeredAt,
    receivedAt: now,
    opportunityId: input.opportunityId,
    payload: input.payload ?? null,
    status: 'pending',
  });
}
