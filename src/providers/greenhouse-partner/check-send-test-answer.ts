import { isRecord } from '../../kernel/json.js';
import type { Checked } from './types.js';

/** `{partner_interview_id}`, a non-empty string: without it the invitation cannot be followed. */
export function checkSendTestAnswer(body: unknown): Checked<{ vendorInvitationId: string }> {
  if (!isRecord(body)) return { ok: false, errors: ['send_test did not answer a JSON object'] };
  const id = body.partner_interview_id;
  if (typeof id !== 'string' || id === '') {
    return { ok: false, errors: ['send_test answered without a partner_interview_id'] };
  }
  return { ok: true, value: { vendorInvitationId: id } };
}
