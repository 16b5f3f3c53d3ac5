import { StagegateError } from '../kernel/errors.js';
import type { Secret } from '../kernel/secret.js';
import { verifyLeverSignature } from '../lever/webhook-signature.js';

/** Lever's clock may run a little ahead of ours; further ahead than this is refused. */
export const allowedClockSkewMs = 5 * 60 * 1000;

export interface AuthenticatedEnvelope {
  event: string;
  token: string;
  triggeredAt: number;
}

/**
 * Checks the event has a token, the signature matches one of its tokens, and `triggeredAt` is inside
 * the replay window. Every failure is the same UNAUTHORIZED: the answer must not tell which check failed.
 */
export function authenticateDelivery(input: {
  body: Record<string, unknown>;
  /** Per event, every signature token accepted: the tenant file's and those stored at registration. */
  webhookTokens: Readonly<Record<string, readonly Secret[]>>;
  now: number;
  replayWindowMs: number;
}): AuthenticatedEnvelope {
  const { body, webhookTokens, now, replayWindowMs } = input;
  const unauthorized = (reason: string) =>
    new StagegateError('UNAUTHORIZED', 'The delivery did not authenticate.', { details: { reason } });
  const { event, token, triggeredAt } = body;
  if (typeof event !== 'string') throw unauthorized('no event');
  const tokens = Object.hasOwn(webhookTokens, event) ? webhookTokens[event] : undefined;
  if (tokens === undefined || tokens.length === 0) throw unauthorized('no signature token for the event');
  const signed = {
    token: body.token,
    triggeredAt: body.triggeredAt,
    signature: body.signature,
  };
  if (!verifyLeverSignature({ body: signed, signatureTokens: tokens.map((t) => t.reveal()) })) {
    throw unauthorized('signature mismatch');
  }
  const time = typeof triggeredAt === 'number' ? triggeredAt : Number(triggeredAt);
  if (typeof token !== 'string' || !Number.isFinite(time)) throw unauthorized('bad token or time');
  if (time < now - replayWindowMs) throw unauthorized('older than the replay window');
  if (time > now + allowedClockSkewMs) throw unauthorized('too far in the future');
  return { event, token, triggeredAt: time };
}
