import type { RequestHandler } from 'express';
import { StagegateError } from '../kernel/errors.js';
import { createOperatorBearerCheck, type OperatorToken } from './operator-tokens.js';

/**
 * `Authorization: Bearer <token>`, any operator's, compared in constant time
 * (src/admin/operator-tokens.ts); the operator's name is left in `res.locals.operator` for the log.
 */
export function authenticateAdmin(operators: readonly OperatorToken[]): RequestHandler {
  const operatorOf = createOperatorBearerCheck(operators);
  return (req, res, next) => {
    const operator = operatorOf(req.get('authorization'));
    if (operator === undefined) {
      next(new StagegateError('UNAUTHORIZED', 'The admin API needs the admin bearer token.'));
      return;
    }
    res.locals.operator = operator;
    next();
  };
}
