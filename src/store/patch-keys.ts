import type { ActionPatch, InvitationPatch } from './types.js';

/** The fields a patch may change, for every backend: a caller spreading a whole record cannot move it to another tenant. */
export const actionPatchKeys = [
  'status',
  'attempts',
  'nextAttemptAt',
  'lastError',
  'failureClass',
  'result',
  'updatedAt',
] as const satisfies readonly (keyof ActionPatch)[];

export const invitationPatchKeys = [
  'status',
  'vendorInvitationId',
  'candidate',
  'score',
  'reportUrl',
  'updatedAt',
] as const satisfies readonly (keyof InvitationPatch)[];
