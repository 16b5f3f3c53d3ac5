import { suggestName } from '../../config/suggest-name.js';
import type { TenantSettings } from '../../config/types.js';
import { toStagegateError } from '../../kernel/errors.js';
import type { LeverClient } from '../../lever/create-lever-client.js';
import type { Stage } from '../../lever/types.js';
import type { CheckResult, ResolvedSecret } from './types.js';

/** The API key works (GET /stages answers) and every trigger stage exists in Lever by name, any case. */
export async function checkLever(
  settings: TenantSettings,
  apiKey: ResolvedSecret,
  client: LeverClient | undefined,
): Promise<CheckResult[]> {
  const check = 'Lever API key';
  const skipTriggers = (why: string): CheckResult[] =>
    settings.triggers.map((trigger) => ({
      check: `trigger stage '${trigger.stage}'`,
      status: 'skipped',
      message: `not checked: ${why}`,
    }));
  if (client === undefined) {
    return [
      { check, status: 'skipped', message: `not checked: ${apiKey.name} is not set` },
      ...skipTriggers(`${apiKey.name} is not set`),
    ];
  }

  let stages: Stage[];
  try {
    stages = await client.listStages();
  } catch (error) {
    const failure = toStagegateError(error);
    const status = failure.details.status;
    const result: CheckResult =
      status === 401
        ? {
            check,
            status: 'failed',
            message: `Lever refused the API key in ${apiKey.name}`,
            fix: `put a valid Lever API key in ${apiKey.name} (Lever: Settings > Integrations and API > API credentials)`,
          }
        : status === 403
          ? {
              check,
              status: 'failed',
              message: `Lever accepted the API key in ${apiKey.name} but may not read stages`,
              fix: 'give the key read access to stages and opportunities, and write access to tags, links and notes',
            }
          : {
              check,
              status: 'failed',
              message: `GET ${settings.lever.baseUrl}/stages failed: ${failure.message}`,
              fix: 'check lever.baseUrl in the tenant file and that Lever can be reached from here',
            };
    return [result, ...skipTriggers('Lever did not answer')];
  }

  const results: CheckResult[] = [
    {
      check,
      status: 'ok',
      message: `Lever accepted the API key in ${apiKey.name} (${stages.length} stages)`,
    },
  ];
  return [...results, ...checkTriggerStages(settings, stages)];
}

/** Every trigger stage exists in Lever by name, any case; a near miss is suggested. */
export function checkTriggerStages(settings: TenantSettings, stages: readonly Stage[]): CheckResult[] {
  const results: CheckResult[] = [];
  const names = stages.map((stage) => stage.text);
  settings.triggers.forEach((trigger, index) => {
    const found = stages.find((stage) => stage.text.toLowerCase() === trigger.stage.toLowerCase());
    if (found !== undefined) {
      results.push({
        check: `trigger stage '${trigger.stage}'`,
        status: 'ok',
        message: `exists in Lever as '${found.text}' (${found.id})`,
      });
      return;
    }
    const closest = suggestName(trigger.stage, names);
    results.push({
      check: `trigger stage '${trigger.stage}'`,
      status: 'failed',
      message: `Lever has no stage named '${trigger.stage}'`,
      fix:
        closest === undefined
          ? `set triggers[${index}].stage to one of Lever's stages (${names.map((n) => `'${n}'`).join(', ') || 'none'}), or create the stage in Lever`
          : `did you mean '${closest}'? set triggers[${index}].stage to it`,
    });
  });
  return results;
}
