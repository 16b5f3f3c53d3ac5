import { createHmac } from 'node:crypto';

/**
 * Lever's webhook signature: hex HMAC-SHA256 keyed with the webhook's signature token over
 * `token + String(triggeredAt)`, no separator. It covers the token and the time, not the body.
 */
export function signLeverWebhook(
  signatureToken: string,
  token: string,
  triggeredAt: number | string,
): string {
  return createHmac('sha256', signatureToken)
    .update(`${token}${String(triggeredAt)}`)
    .digest('hex');
}
