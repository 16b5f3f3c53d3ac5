import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { type ErrorCode, errorCatalog, StagegateError, toStagegateError } from '../kernel/errors.js';

/** body-parser's error types, in the catalog's words. */
const bodyParserCodes: Record<string, ErrorCode> = {
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'entity.parse.failed': 'BAD_JSON',
  'entity.verify.failed': 'BAD_JSON',
  'request.size.invalid': 'BAD_JSON',
  'request.aborted': 'BAD_JSON',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
};

export function toIntakeError(error: unknown): StagegateError {
  const type = (error as { type?: unknown } | null)?.type;
  const code = typeof type === 'string' ? bodyParserCodes[type] : undefined;
  if (code !== undefined) return new StagegateError(code, errorCatalog[code].summary, { cause: error });
  return toStagegateError(error);
}

/** Answers `{error: CODE}` and nothing more; the details go to the log, server errors with their cause. */
export function getErrorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const failure = toIntakeError(error);
    const fields = { code: failure.code, method: req.method, path: req.path, details: failure.details };
    if (failure.status >= 500 && failure.code !== 'TENANT_NOT_READY')
      log.error({ ...fields, err: error }, failure.message);
    else log.warn(fields, failure.message);
    if (res.headersSent) return;
    res.status(failure.status).json({ error: failure.code });
  };
}
