import { StagegateError } from '../kernel/errors.js';
import type { InvitationRecord, Store } from '../store/types.js';
import { isCallbackToken } from './callback-token.js';

/**
 * PATCH (or POST) /callbacks/assessments/:tenant/:invitation/:token — a vendor says an invitation
 * is finished. The call carries nothing to trust but the URL: a wrong token or an unknown invitation
 * is a 404, indistinguishable from a route that does not exist.
 */
export async function receiveCallback(
  context: { store: Pick<Store, 'getInvitation'>; secret: string },
  params: { tenant: string; invitation: string; token: string },
): Promise<InvitationRecord> {
  const notFound = new StagegateError('NOT_FOUND', 'No such route or record.');
  if (!isCallbackToken(context.secret, params.tenant, params.invitation, params.token)) throw notFound;
  const invitation = await context.store.getInvitation(params.invitation);
  if (!invitation || invitation.tenant !== params.tenant) throw notFound;
  return invitation;
}
