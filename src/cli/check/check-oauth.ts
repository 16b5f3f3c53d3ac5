import type { TenantSettings } from '../../config/types.js';
import type { LeverConnection } from '../../lever/oauth/create-lever-connector.js';
import { type AdminTarget, callAdmin } from '../admin/call-admin.js';
import type { CliIo } from '../io.js';
import { checkTriggerStages } from './check-lever.js';
import type { CheckResult } from './types.js';

/** What the tenant's set-up loses without each scope stagegate asks for. */
const scopeUses: Record<string, string> = {
  offline_access: 'no refresh token: the connection stops within the hour',
  'opportunities:write:admin': 'candidates can be neither read nor tagged, so no test is sent',
  'notes:write:admin': 'no note with the result, nor with why a candidate was held',
  'stages:read:admin': "stage names cannot be read, so stage changes can't be matched to trigger stages",
  'tags:read:admin': "Lever's tags cannot be listed",
  'postings:read:admin': 'posting titles cannot be read: posting-based selection and the posting fact fail',
  'webhooks:write:admin': 'webhooks cannot be registered, so no delivery arrives',
};

/**
 * An OAuth tenant's Lever side, as the running service sees it (its tokens are in that service's
 * store, sealed): the grant works, it has every scope stagegate asks for, and each webhook
 * stagegate registered is still in Lever and points at this service's public URL, and every
 * trigger stage exists in Lever by name (read with the grant).
 */
export async function checkOAuthConnection(
  io: CliIo,
  target: AdminTarget,
  tenant: string,
  settings: TenantSettings,
): Promise<CheckResult[]> {
  const skipTriggers = (why: string): CheckResult[] =>
    settings.triggers.map((trigger) => ({
      check: `trigger stage '${trigger.stage}'`,
      status: 'skipped',
      message: `not checked: ${why}`,
    }));
  if ((io.env.STAGEGATE_ADMIN_TOKEN ?? '') === '') {
    return [
      {
        check: 'lever connection',
        status: 'skipped',
        message: "not checked: an OAuth tenant's tokens are in the running service's store",
        fix: 'set STAGEGATE_ADMIN_TOKEN (and STAGEGATE_URL) so that check can ask the service',
      },
      ...skipTriggers('the running service was not asked'),
    ];
  }
  const answer = await callAdmin<LeverConnection>(
    io,
    target,
    'GET',
    `/tenants/${encodeURIComponent(tenant)}/lever-connection`,
  );
  if (!answer.ok) {
    return [
      {
        check: 'lever connection',
        status: 'failed',
        message: 'the running service could not be asked (see above)',
        fix: 'start the service, or give STAGEGATE_URL and STAGEGATE_ADMIN_TOKEN',
      },
      ...skipTriggers('the running service could not be asked'),
    ];
  }
  const found = answer.body;
  const reconnect = `run stagegate connect --tenant ${tenant} and have a Lever Super Admin accept the link`;
  if (!found.connected) {
    return [
      {
        check: 'lever connection',
        status: 'failed',
        message: 'not connected: no OAuth grant is stored',
        fix: reconnect,
      },
      ...skipTriggers('not connected to Lever'),
    ];
  }
  const results: CheckResult[] = [
    found.tokenProblem === null
      ? {
          check: 'lever connection',
          status: 'ok',
          message: `Lever accepts the grant (connected ${new Date(found.connectedAt ?? 0).toISOString()})`,
        }
      : { check: 'lever connection', status: 'failed', message: found.tokenProblem, fix: reconnect },
    found.missingScopes.length === 0
      ? { check: 'lever scopes', status: 'ok', message: `granted: ${found.scopes.join(' ')}` }
      : {
          check: 'lever scopes',
          status: 'failed',
          message: `not granted: ${found.missingScopes
            .map((scope) => `${scope} (${scopeUses[scope] ?? "some of stagegate's calls are refused"})`)
            .join('; ')}`,
          fix: `${reconnect}, accepting every permission asked for`,
        },
  ];
  for (const webhook of found.webhooks) {
    const check = `webhook ${webhook.event}`;
    if (webhook.problem === null)
      results.push({ check, status: 'ok', message: `registered, delivering to ${found.expectedUrl}` });
    else if (found.tokenProblem === null)
      results.push({ check, status: 'failed', message: webhook.problem, fix: reconnect });
    else results.push({ check, status: 'skipped', message: 'not checked: Lever does not accept the grant' });
  }
  // An older service answers without stages: then they are not checked.
  if (found.stages !== null && found.stages !== undefined) {
    results.push(...checkTriggerStages(settings, found.stages));
  } else {
    results.push(...skipTriggers(`Lever's stages could not be read (${found.stagesProblem ?? 'no answer'})`));
  }
  return results;
}
