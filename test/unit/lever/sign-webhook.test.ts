import { describe, expect, it } from 'vitest';
import { signLeverWebhook } from '../../../src/lever/sign-webhook.js';

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
