import { StagegateError } from '../../kernel/errors.js';
import { checkTenant, copyJson, invitationPatchKeys, pickPatch, scrubInvitation } from '../records.js';
import type { InvitationRecord, Store } from '../types.js';
import {
  findRecord,
  insertRecord,
  isPurged,
  type PostgresContext,
  readRecord,
  readRecords,
  replaceRecord,
} from './postgres-context.js';

type InvitationOperations = Pick<
  Store,
  'putInvitation' | 'getInvitation' | 'listInvitations' | 'updateInvitation'
>;

export function createInvitationOperations(context: PostgresContext): InvitationOperations {
  const { clock } = context;
  return {
    async putInvitation(record) {
      checkTenant(record.tenant);
      const invitation: InvitationRecord = copyJson(record);
      return context.write(async (sql) => {
        const [existing] = await sql.rows<{ record: InvitationRecord }>(
          'SELECT record FROM invitations WHERE id = $1 FOR UPDATE',
          [invitation.id],
        );
        if (existing !== undefined && existing.record.tenant !== invitation.tenant) {
          throw new StagegateError(
            'INTERNAL',
            `Invitation ${invitation.id} belongs to tenant ${existing.record.tenant}.`,
          );
        }
        // After a purge, a vendor's late report about the candidate is not kept.
        if (await isPurged(sql, invitation.tenant, invitation.opportunityId)) scrubInvitation(invitation);
        if (existing === undefined) await insertRecord(sql, 'invitations', invitation);
        else await replaceRecord(sql, 'invitations', invitation);
        return invitation;
      });
    },

    async getInvitation(id) {
      return readRecord(context.read, 'invitations', id);
    },

    async listInvitations(filter = {}) {
      return readRecords<InvitationRecord, 'invitations'>(context.read, 'invitations', {
        tenant: filter.tenant,
        opportunity_id: filter.opportunityId,
        status: filter.status,
      });
    },

    async updateInvitation(id, patch) {
      const changes = pickPatch(patch, invitationPatchKeys);
      const updatedAt = patch.updatedAt ?? clock.now();
      return context.write(async (sql) => {
        const invitation = await findRecord<InvitationRecord>(sql, 'invitations', id, 'invitation');
        Object.assign(invitation, changes, { updatedAt });
        if (await isPurged(sql, invitation.tenant, invitation.opportunityId)) scrubInvitation(invitation);
        await replaceRecord(sql, 'invitations', invitation);
        return invitation;
      });
    },
  };
}
