import type { CheckResult } from './types.js';

/** What stops working without a token for the event: the intake refuses its deliveries. */
const consequences: Record<string, string> = {
  candidateArchiveChange: 'archiving a candidate will not cancel their pending invitations',
  candidateHired: 'hiring a candidate will not cancel their pending invitations',
  candidateDeleted: 'deleting a candidate in Lever will not purge their data here',
};

/** candidateStageChange is what sends tests: without it nothing happens. The others are warnings. */
export function checkWebhookTokens(configured: readonly string[]): CheckResult[] {
  const has = (event: string) => configured.includes(event);
  const fixFor = (event: string) =>
    `add lever.webhookTokens.${event} to the tenant file: the signature token of Lever's ${event} webhook (Settings > Integrations and API > Webhooks)`;
  const results: CheckResult[] = [
    has('candidateStageChange')
      ? { check: 'webhook candidateStageChange', status: 'ok', message: 'a signature token is configured' }
      : {
          check: 'webhook candidateStageChange',
          status: 'failed',
          message: 'no signature token: every stage change is refused, so no test is ever sent',
          fix: fixFor('candidateStageChange'),
        },
  ];
  for (const [event, consequence] of Object.entries(consequences)) {
    results.push(
      has(event)
        ? { check: `webhook ${event}`, status: 'ok', message: 'a signature token is configured' }
        : {
            check: `webhook ${event}`,
            status: 'warning',
            message: `no signature token: ${consequence}`,
            fix: fixFor(event),
          },
    );
  }
  return results;
}
