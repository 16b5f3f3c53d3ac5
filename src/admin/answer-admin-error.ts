import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { toIntakeError } from '../intake/get-error-handler.js';
import { errorCatalog } from '../kernel/errors.js';

/** What a 401 says: the one thing a caller without the token may learn. */
export const adminUnauthorizedMessage =
  'The admin API needs the admin bearer token: Authorization: Bearer $STAGEGATE_ADMIN_TOKEN.';

/**
 * Answers `{error: CODE, message}`: an operator asked, so client errors say what was wrong. Server
 * errors and 401s carry a fixed message (the catalog's summary, or how to authenticate), never the
 * details: those go to the log.
 */
export function answerAdminError(log: Logger | undefined): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const failure = toIntakeError(error);
    const fields = { code: failure.code, method: req.method, path: req.originalUrl.split('?')[0] };
    if (failure.status >= 500) log?.error({ ...fields, err: error }, failure.message);
    else log?.warn(fields, failure.message);
    if (res.headersSent) return;
    const message =
      failure.code === 'UNAUTHORIZED'
        ? adminUnauthorizedMessage
        : failure.status >= 500
          ? `${errorCatalog[failure.code].summary} The service's log has the details.`
          : failure.message;
    res.status(failure.status).json({ error: failure.code, message });
  };
}
