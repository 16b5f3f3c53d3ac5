import { type CliIo, exitCodes } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';

/** `stagegate sandbox complete <tenant> <invitation> [--score N]`: a candidate finishing a sandbox test. */
export async function completeSandboxCommand(
  io: CliIo,
  tenant: string,
  invitation: string,
  options: AdminTarget & { score?: string },
): Promise<number> {
  const score = options.score === undefined ? null : Number(options.score);
  if (score !== null && (options.score?.trim() === '' || !Number.isFinite(score))) {
    io.stderr.write(`--score must be a number, got '${options.score}'\n`);
    return exitCodes.invalid;
  }
  const path = `/sandbox/${encodeURIComponent(tenant)}/invitations/${encodeURIComponent(invitation)}/complete`;
  const answer = await callAdmin<{ status: string }>(io, options, 'POST', path, { score });
  if (!answer.ok) return answer.code;
  io.stdout.write(
    `invitation ${invitation} of ${tenant}: ${answer.body.status} (score ${score === null ? 'none' : score})\n`,
  );
  return exitCodes.ok;
}
