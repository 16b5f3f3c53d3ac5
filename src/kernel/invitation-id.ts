import { createHash } from 'node:crypto';

/**
 * An invitation's id follows from the idempotency key of the action that sends it: a retried
 * action finds its own record, and a send still waiting in the outbox can be counted by id.
 */
export function invitationIdOf(actionId: string): string {
  return `inv_${createHash('sha256').update(actionId).digest('hex').slice(0, 20)}`;
}
