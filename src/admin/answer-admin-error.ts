import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { toIntakeError } from '../intake/get-error-handler.js';

/**
 * Answers `{error: CODE, message}`: an operator asked, so client errors say what was wrong. Server
 * errors and 401s say no more than their code; the details go to the log.
 */
export function answerAdminError(log: Logger | undefined): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const failure = toIntakeError(error);
    const fields = { code: failure.code, method: req.method, path: req.originalUrl.split('?')[0] };
    if (failure.status >= 500) log?.error({ ...fields, err: error }, failure.message);
    else log?.warn(fields, failure.message);
    if (res.headersSent) return;
    const quiet = failure.status >= 500 || failure.code === 'UNAUTHORIZED';
    res
      .status(failure.status)
      .json(quiet ? { error: failure.code } : { error: failure.code, message: failure.message });
  };
}
