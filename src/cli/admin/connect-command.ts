import { type CliIo, exitCodes } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';

/**
 * `stagegate connect --tenant X`: a one-time link for the customer's Lever Super Admin. Opening it
 * and accepting on Lever's page is all they do: stagegate stores the tokens and registers the
 * webhooks. Running it again gives a new link (the old one stops working) and, once accepted,
 * updates the webhooks rather than adding more.
 */
export async function connectCommand(
  io: CliIo,
  options: AdminTarget & { tenant: string; json?: boolean },
): Promise<number> {
  const path = `/tenants/${encodeURIComponent(options.tenant)}/connect`;
  const answer = await callAdmin<{ tenant: string; link: string; expiresAt: number }>(
    io,
    options,
    'POST',
    path,
    {},
  );
  if (!answer.ok) return answer.code;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
    return exitCodes.ok;
  }
  io.stdout.write(
    [
      `Send this link to a Lever Super Admin of ${options.tenant}; it works once, until ${new Date(answer.body.expiresAt).toISOString()}:`,
      '',
      `  ${answer.body.link}`,
      '',
      "They accept on Lever's page; stagegate then stores the tokens (encrypted) and registers the webhooks.",
      `Check with: stagegate status (and, if a super admin must switch the event group on, Lever: Settings > Integrations > Webhooks).`,
      '',
    ].join('\n'),
  );
  return exitCodes.ok;
}

/** `stagegate disconnect --tenant X`: delete the webhooks stagegate registered, forget the tokens. */
export async function disconnectCommand(
  io: CliIo,
  options: AdminTarget & { tenant: string },
): Promise<number> {
  const path = `/tenants/${encodeURIComponent(options.tenant)}/disconnect`;
  const answer = await callAdmin<{ webhooksDeleted: number; webhooksLeft: string[] }>(
    io,
    options,
    'POST',
    path,
    {},
  );
  if (!answer.ok) return answer.code;
  const { webhooksDeleted, webhooksLeft } = answer.body;
  io.stdout.write(
    `${options.tenant}: disconnected; ${webhooksDeleted} webhook(s) deleted in Lever, tokens forgotten${
      webhooksLeft.length > 0
        ? `\n  ${webhooksLeft.length} webhook(s) could not be deleted (${webhooksLeft.join(', ')}): remove them in Lever (Settings > Integrations > Webhooks)`
        : ''
    }\n`,
  );
  return webhooksLeft.length > 0 ? exitCodes.failed : exitCodes.ok;
}
