import express, { type RequestHandler } from 'express';
import { StagegateError } from '../kernel/errors.js';

export const deliveryBodyLimit = '64kb';

/** Lever always sends application/json; anything else is refused before the body is read. */
const requireJson: RequestHandler = (req, _res, next) => {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    next(new StagegateError('UNSUPPORTED_MEDIA_TYPE', 'The request body is not application/json.'));
    return;
  }
  next();
};

/** Content type check, then JSON parsing capped at 64 KB; the error handler maps body-parser's errors. */
export function parseDeliveryBody(): RequestHandler[] {
  return [requireJson, express.json({ limit: deliveryBodyLimit, type: () => true, strict: false })];
}
