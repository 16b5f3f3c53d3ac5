import type { CheckResult, ResolvedSecret } from './types.js';

/** What stops working without a token for the event: the intake refuses its deliveries. */
const consequences: Record<string, string> = {
  candidateStageChange: 'every stage change is refused, so no test is ever sent',
  candidateArchiveChange: 'archiving a candidate will not cancel their pending invitations',
  candidateHired: 'hiring a candidate will not cancel their pending invitations',
  candidateDeleted: 'deleting a candidate in Lever will not purge their data here',
};

/**
 * One line per Lever event stagegate acts on. A token counts only when its secret is set, so this
 * line agrees with the secret lines above it: a token the file names but the environment lacks is
 * no token. candidateStageChange is what sends tests, so it fails; the others are warnings.
 * `tokens` holds, per event, the secrets the tenant file names for it.
 */
export function checkWebhookTokens(
  tokens: Readonly<Record<string, readonly ResolvedSecret[]>>,
): CheckResult[] {
  const fixFor = (event: string) =>
    `add lever.webhookTokens.${event} to the tenant file: the signature token of Lever's ${event} webhook (Settings > Integrations and API > Webhooks)`;
  return Object.entries(consequences).map(([event, consequence]): CheckResult => {
    const check = `webhook ${event}`;
    const status = event === 'candidateStageChange' ? 'failed' : 'warning';
    const refs = tokens[event] ?? [];
    const set = refs.filter((ref) => ref.value !== undefined);
    if (set.length > 0) {
      return {
        check,
        status: 'ok',
        message: `a signature token is set (${set.map((ref) => ref.name).join(', ')})`,
      };
    }
    if (refs.length > 0) {
      const names = refs.map((ref) => ref.name).join(', ');
      return {
        check,
        status,
        message: `the file names a signature token (${names}) but it is not set: ${consequence}`,
        fix: `set ${names} (see the secret line${refs.length > 1 ? 's' : ''} above)`,
      };
    }
    return { check, status, message: `no signature token: ${consequence}`, fix: fixFor(event) };
  });
}
