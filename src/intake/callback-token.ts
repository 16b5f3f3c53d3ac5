import { createHmac, timingSafeEqual } from 'node:crypto';

/** The unguessable last part of an invitation's callback URL: an HMAC of tenant and invitation. */
export function callbackToken(secret: string, tenant: string, invitationId: string): string {
  return createHmac('sha256', secret).update(`${tenant}\0${invitationId}`).digest('hex').slice(0, 40);
}

export function isCallbackToken(
  secret: string,
  tenant: string,
  invitationId: string,
  token: string,
): boolean {
  const expected = Buffer.from(callbackToken(secret, tenant, invitationId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
