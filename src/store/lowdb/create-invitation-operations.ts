import { StagegateError } from '../../kernel/errors.js';
import { copyJson, invitationPatchKeys, pickPatch, scrubInvitation } from '../records.js';
import type { InvitationRecord, Store } from '../types.js';
import {
  findRecord,
  isPurged,
  matches,
  readRecord,
  readRecords,
  type StoreContext,
} from './store-context.js';

type InvitationOperations = Pick<
  Store,
  'putInvitation' | 'getInvitation' | 'listInvitations' | 'updateInvitation'
>;

export function createInvitationOperations(context: StoreContext): InvitationOperations {
  const { clock, index } = context;
  return {
    async putInvitation(record) {
      const partition = context.partitionFor(record.tenant);
      const invitation: InvitationRecord = copyJson(record);
      const existing = index.invitations.get(invitation.id);
      if (existing !== undefined && existing.tenant !== invitation.tenant) {
        throw new StagegateError(
          'INTERNAL',
          `Invitation ${invitation.id} belongs to tenant ${existing.tenant}.`,
        );
      }
      // After a purge, a vendor's late report about the candidate is not kept.
      if (isPurged(partition, invitation.opportunityId)) scrubInvitation(invitation);
      const { invitations } = partition.db.data;
      if (existing === undefined) invitations.push(invitation);
      else invitations[invitations.indexOf(existing)] = invitation;
      index.invitations.set(invitation.id, invitation);
      await partition.commit.commit();
      return copyJson(invitation);
    },

    async getInvitation(id) {
      return readRecord(context, index.invitations.get(id));
    },

    async listInvitations(filter = {}) {
      return readRecords(
        context,
        index.invitations.values(),
        (invitation) =>
          matches(invitation.tenant, filter.tenant) &&
          matches(invitation.opportunityId, filter.opportunityId) &&
          matches(invitation.status, filter.status),
      );
    },

    async updateInvitation(id, patch) {
      const invitation = findRecord(context, index.invitations, id, 'invitation');
      const partition = context.partitionFor(invitation.tenant);
      Object.assign(invitation, pickPatch(patch, invitationPatchKeys), {
        updatedAt: patch.updatedAt ?? clock.now(),
      });
      if (isPurged(partition, invitation.opportunityId)) scrubInvitation(invitation);
      await partition.commit.commit();
      return copyJson(invitation);
    },
  };
}
