import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { StagegateError } from '../kernel/errors.js';

/**
 * `Authorization: Bearer <token>`, compared in constant time. Both sides are HMACed with a key made
 * at start so the comparison sees equal lengths and says nothing about the token's length.
 */
export function authenticateAdmin(token: string): RequestHandler {
  const key = randomBytes(32);
  const digest = (value: string) => createHmac('sha256', key).update(value).digest();
  const expected = digest(token);
  return (req, _res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
      next(new StagegateError('UNAUTHORIZED', 'The admin API needs the admin bearer token.'));
      return;
    }
    next();
  };
}
