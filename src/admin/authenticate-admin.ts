import type { RequestHandler } from 'express';
import { createBearerCheck } from '../kernel/bearer-token.js';
import { StagegateError } from '../kernel/errors.js';

/** `Authorization: Bearer <token>`, compared in constant time (src/kernel/bearer-token.ts). */
export function authenticateAdmin(token: string): RequestHandler {
  const isAdmin = createBearerCheck(token);
  return (req, _res, next) => {
    if (!isAdmin(req.get('authorization'))) {
      next(new StagegateError('UNAUTHORIZED', 'The admin API needs the admin bearer token.'));
      return;
    }
    next();
  };
}
