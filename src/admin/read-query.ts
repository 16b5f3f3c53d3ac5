import type { Request } from 'express';
import { StagegateError } from '../kernel/errors.js';

/** One query parameter as a single non-empty string, undefined when absent; repeated or empty is a 400. */
export function readQuery(req: Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new StagegateError('BAD_JSON', `query parameter ${name} must be given once, not empty`);
  }
  return value;
}
