import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { toIntakeError } from '../intake/get-error-handler.js';
import type { LeverConnector } from '../lever/oauth/create-lever-connector.js';

/**
 * GET /oauth/lever/callback, where Lever sends the customer's browser back with `code` and `state`.
 * A person reads the answer, so it is a short page: what happened, and what to do. A refused state
 * stores nothing; failures say no more than the page shows (the rest is in the log).
 */
export function createOAuthCallbackRouter(options: {
  connector: Pick<LeverConnector, 'complete'>;
  log: Logger;
}): Router {
  const router = express.Router();
  router.get('/callback', async (req, res) => {
    try {
      const result = await options.connector.complete(req.query as Record<string, unknown>);
      res
        .status(200)
        .type('html')
        .send(
          page(
            'Connected',
            `stagegate is connected to Lever for ${result.tenant} and registered ${result.webhooks.length} webhooks (${result.webhooks.map((w) => w.event).join(', ')}). You can close this page.`,
          ),
        );
    } catch (error) {
      const failure = toIntakeError(error);
      const shown =
        typeof failure.details.page === 'string'
          ? failure.details.page
          : failure.status >= 500
            ? 'Lever could not be reached or refused the connection. Nothing is lost: ask for a new link and try again.'
            : failure.message;
      options.log.warn(
        {
          code: failure.code,
          reason: failure.details.reason,
          err: failure.status >= 500 ? error : undefined,
        },
        'lever oauth: callback refused',
      );
      res.status(failure.status).type('html').send(page('Not connected', shown));
    }
  });
  return router;
}

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>stagegate: ${escapeHtml(title)}</title><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
