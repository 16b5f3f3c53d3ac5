import { StagegateError } from '../kernel/errors.js';
import type { ActionRecord, DecisionRecord, InboxItem } from './types.js';

/**
 * A decision and its actions must belong to the inbox item they complete, and each action's id must
 * be its idempotency key; a mismatch is a bug in the caller, caught before anything is written.
 */
export function checkInboxOutcome(item: InboxItem, decision: DecisionRecord, actions: ActionRecord[]): void {
  const problems: string[] = [];
  if (decision.tenant !== item.tenant) problems.push(`the decision's tenant is ${decision.tenant}`);
  if (decision.inboxId !== item.id) problems.push(`the decision's inboxId is ${decision.inboxId}`);
  const ids = new Set<string>();
  for (const action of actions) {
    if (action.id !== `${decision.id}:${action.index}`)
      problems.push(`action ${action.id} is not ${decision.id}:${action.index}`);
    if (action.decisionId !== decision.id)
      problems.push(`action ${action.id} has decisionId ${action.decisionId}`);
    if (action.tenant !== item.tenant) problems.push(`action ${action.id} has tenant ${action.tenant}`);
    if (ids.has(action.id)) problems.push(`action ${action.id} appears twice`);
    ids.add(action.id);
  }
  if (problems.length > 0) {
    throw new StagegateError(
      'INTERNAL',
      `Cannot complete inbox item ${item.id} (tenant ${item.tenant}): ${problems.join('; ')}.`,
      {
        details: { inboxId: item.id, problems },
      },
    );
  }
}
