import { StagegateError } from '../../kernel/errors.js';
import { checkTenant, copyJson, invitationPatchKeys, pickPatch, scrubInvitation } from '../records.js';
import type { InvitationRecord, Store } from '../types.js';
import {
  findRecord,
  insertRecord,
  isPurged,
  readRecord,
  readRecords,
  replaceRecord,
  type SqliteContext,
} from './sqlite-context.js';

type InvitationOperations = Pick<
  Store,
  'putInvitation' | 'getInvitation' | 'listInvitations' | 'updateInvitation'
>;

export function createInvitationOperations(context: SqliteContext): InvitationOperations {
  const { clock } = context;
  return {
    async putInvitation(record) {
      checkTenant(record.tenant);
      const invitation: InvitationRecord = copyJson(record);
      return context.write((tools) => {
        const existing = readRecord<InvitationRecord>(context, 'invitations', invitation.id);
        if (existing !== undefined && existing.tenant !== invitation.tenant) {
          throw new StagegateError(
            'INTERNAL',
            `Invitation ${invitation.id} belongs to tenant ${existing.tenant}.`,
          );
        }
        // After a purge, a vendor's late report about the candidate is not kept.
        if (isPurged(context, invitation.tenant, invitation.opportunityId)) {
          scrubInvitation(invitation);
          tools.truncateWal();
        }
        if (existing === undefined) insertRecord(context, 'invitations', invitation);
        else replaceRecord(context, 'invitations', invitation);
        return invitation;
      });
    },

    async getInvitation(id) {
      return readRecord(context, 'invitations', id);
    },

    async listInvitations(filter = {}) {
      return readRecords<InvitationRecord, 'invitations'>(context, 'invitations', {
        tenant: filter.tenant,
        opportunity_id: filter.opportunityId,
        status: filter.status,
      });
    },

    async updateInvitation(id, patch) {
      const changes = pickPatch(patch, invitationPatchKeys);
      const updatedAt = patch.updatedAt ?? clock.now();
      return context.write((tools) => {
        const invitation = findRecord<InvitationRecord>(context, 'invitations', id, 'invitation');
        Object.assign(invitation, changes, { updatedAt });
        if (isPurged(context, invitation.tenant, invitation.opportunityId)) {
          scrubInvitation(invitation);
          tools.truncateWal();
        }
        replaceRecord(context, 'invitations', invitation);
        return invitation;
      });
    },
  };
}
