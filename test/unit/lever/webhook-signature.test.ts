import { describe, expect, it } from 'vitest';
import { signLeverWebhook, verifyLeverSignature } from '../../../src/lever/webhook-signature.js';

const TRIGGERED_AT = 1431454330072;
const TOKEN = 'f3c2b1a0e9d8c7b6';

function signedBody(signatureToken: string) {
  return {
    token: TOKEN,
    triggeredAt: TRIGGERED_AT,
    signature: signLeverWebhook(signatureToken, TOKEN, TRIGGERED_AT),
  };
}

describe('verifyLeverSignature', () => {
  it('accepts a body signed with the configured token', () => {
    expect(verifyLeverSignature({ body: signedBody('current'), signatureTokens: ['current'] })).toBe(true);
  });

  it('accepts either token of a rotation list', () => {
    const signatureTokens = ['new-token', 'old-token'];
    expect(verifyLeverSignature({ body: signedBody('old-token'), signatureTokens })).toBe(true);
    expect(verifyLeverSignature({ body: signedBody('new-token'), signatureTokens })).toBe(true);
  });

  it('rejects a body signed with another token', () => {
    expect(verifyLeverSignature({ body: signedBody('attacker'), signatureTokens: ['current', 'old'] })).toBe(
      false,
    );
  });

  it('rejects when the token or the time was changed after signing', () => {
    const body = signedBody('current');
    expect(verifyLeverSignature({ body: { ...body, token: 'other' }, signatureTokens: ['current'] })).toBe(
      false,
    );
    expect(
      verifyLeverSignature({
        body: { ...body, triggeredAt: TRIGGERED_AT + 1 },
        signatureTokens: ['current'],
      }),
    ).toBe(false);
  });

  it('rejects signatures of the wrong length without throwing', () => {
    const { signature } = signedBody('current');
    for (const wrong of ['', signature.slice(0, 63), `${signature}0`, signature.slice(0, 32)]) {
      expect(
        verifyLeverSignature({
          body: { ...signedBody('current'), signature: wrong },
          signatureTokens: ['current'],
        }),
      ).toBe(false);
    }
  });

  it('accepts an upper-case hex signature', () => {
    const body = signedBody('current');
    expect(
      verifyLeverSignature({
        body: { ...body, signature: body.signature.toUpperCase() },
        signatureTokens: ['current'],
      }),
    ).toBe(true);
  });

  it('never verifies against an empty list or an empty token', () => {
    expect(verifyLeverSignature({ body: signedBody('current'), signatureTokens: [] })).toBe(false);
    expect(verifyLeverSignature({ body: signedBody(''), signatureTokens: [''] })).toBe(false);
  });

  it('rejects fields of the wrong type', () => {
    const body = signedBody('current');
    const hostile = [
      { ...body, signature: 42 },
      { ...body, token: undefined },
      { ...body, token: '' },
      { ...body, triggeredAt: null },
      { ...body, triggeredAt: Number.NaN },
      { ...body, signature: [body.signature] },
    ];
    for (const candidate of hostile) {
      expect(verifyLeverSignature({ body: candidate, signatureTokens: ['current'] })).toBe(false);
    }
  });
});

// Computed outside Node: printf 'a1b2c3d4e5f61431454330072' | openssl dgst -sha256 -hmac 'whsec-signature-token'
const KNOWN = 'd0aaea090acad0a33f38746c4f0d9b0df7ff741455b02f01489735ec9332fb9e';

describe('signLeverWebhook', () => {
  it('is the hex HMAC-SHA256 of token + triggeredAt, keyed with the signature token', () => {
    expect(signLeverWebhook('whsec-signature-token', 'a1b2c3d4e5f6', 1431454330072)).toBe(KNOWN);
  });

  it('signs a string triggeredAt the same as the number', () => {
    expect(signLeverWebhook('whsec-signature-token', 'a1b2c3d4e5f6', '1431454330072')).toBe(KNOWN);
  });

  it('changes with the signature token, the token and the time', () => {
    const base = signLeverWebhook('key', 'token', 1);
    expect(signLeverWebhook('key2', 'token', 1)).not.toBe(base);
    expect(signLeverWebhook('key', 'token2', 1)).not.toBe(base);
    expect(signLeverWebhook('key', 'token', 2)).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
});
