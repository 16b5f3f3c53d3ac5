import { createHmac, timingSafeEqual } from 'node:crypto';

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

/** The signed fields of a delivery, typed `unknown` because they come straight from the wire. */
export interface LeverSignedFields {
  token: unknown;
  triggeredAt: unknown;
  signature: unknown;
}

export interface VerifyLeverSignatureInput {
  body: LeverSignedFields;
  /** Every token currently accepted for this event: more than one while a token is rotated. */
  signatureTokens: readonly string[];
}

/**
 * True when `body.signature` matches one of the signature tokens. An empty list, an empty token
 * or a field of the wrong type never verifies: a missing secret is not an open door.
 */
export function verifyLeverSignature({ body, signatureTokens }: VerifyLeverSignatureInput): boolean {
  const { token, triggeredAt, signature } = body;
  if (typeof token !== 'string' || token === '') return false;
  if (typeof signature !== 'string') return false;
  if (typeof triggeredAt !== 'string' && !(typeof triggeredAt === 'number' && Number.isFinite(triggeredAt))) {
    return false;
  }
  const received = Buffer.from(signature.toLowerCase(), 'utf8');
  for (const signatureToken of signatureTokens) {
    if (signatureToken === '') continue;
    const expected = Buffer.from(signLeverWebhook(signatureToken, token, triggeredAt), 'utf8');
    // timingSafeEqual throws on unequal lengths; the length of a hex digest is no secret.
    if (received.length === expected.length && timingSafeEqual(received, expected)) return true;
  }
  return false;
}
