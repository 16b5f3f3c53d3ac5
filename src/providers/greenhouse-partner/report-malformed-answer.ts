import type { Logger } from 'pino';
import type { SendPartnerRequest } from './create-partner-transport.js';
import type { ResponseErrorReport } from './types.js';

/**
 * Tells the vendor, through `POST response_error`, that an answer could not be used. Best effort:
 * a failure here is logged and swallowed, since the caller is already failing with a clearer error.
 */
export async function reportMalformedAnswer(
  send: SendPartnerRequest,
  report: ResponseErrorReport,
  log: Logger,
): Promise<void> {
  try {
    await send({ method: 'POST', path: '/response_error', body: report });
  } catch (error) {
    log.warn(
      { apiCall: report.api_call, err: error instanceof Error ? error.message : String(error) },
      'could not report a malformed answer to the assessment vendor',
    );
  }
}
