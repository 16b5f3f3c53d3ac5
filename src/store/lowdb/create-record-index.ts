import type { ActionRecord, DecisionRecord, InboxItem, InvitationRecord, PruneReport } from '../types.js';
import type { PartitionData } from './partition.js';

/**
 * Records by id across all partitions. The maps hold the same objects as the partitions, so a
 * change through either is one change; lookups by id need not know the tenant.
 */
export interface RecordIndex {
  inbox: Map<string, InboxItem>;
  decisions: Map<string, DecisionRecord>;
  actions: Map<string, ActionRecord>;
  invitations: Map<string, InvitationRecord>;
  add(data: PartitionData): void;
  forget(report: PruneReport): void;
}

export function createRecordIndex(): RecordIndex {
  const index: RecordIndex = {
    inbox: new Map(),
    decisions: new Map(),
    actions: new Map(),
    invitations: new Map(),
    add(data) {
      for (const item of data.inbox) index.inbox.set(item.id, item);
      for (const decision of data.decisions) index.decisions.set(decision.id, decision);
      for (const action of data.actions) index.actions.set(action.id, action);
      for (const invitation of data.invitations) index.invitations.set(invitation.id, invitation);
    },
    forget(report) {
      for (const id of report.inbox) index.inbox.delete(id);
      for (const id of report.decisions) index.decisions.delete(id);
      for (const id of report.actions) index.actions.delete(id);
    },
  };
  return index;
}
