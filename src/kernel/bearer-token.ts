import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** An admin token shorter than this is refused at start: it could be guessed. */
export const minAdminTokenLength = 32;

/**
 * Checks an `Authorization: Bearer <token>` header in constant time. Both sides are HMACed with a key
 * made here, so the comparison sees equal lengths and says nothing about the token's length.
 */
export function createBearerCheck(token: string): (authorization: string | undefined) => boolean {
  const key = randomBytes(32);
  const digest = (value: string) => createHmac('sha256', key).update(value).digest();
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer (.+)$/.exec(authorization ?? '');
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}
