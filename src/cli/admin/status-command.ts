import type { AdminStatus } from '../../admin/status-routes.js';
import { type CliIo, exitCodes, paint } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';
import { clip, formatTable } from './format-table.js';

/** `stagegate status [--json]`: the tenants as they serve, and the work waiting or stuck. */
export async function statusCommand(io: CliIo, options: AdminTarget & { json?: boolean }): Promise<number> {
  const answer = await callAdmin<AdminStatus>(io, options, 'GET', '/status');
  if (!answer.ok) return answer.code;
  const { tenants, actions, inbox } = answer.body;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
    return exitCodes.ok;
  }
  const rows = tenants.map((t) => [
    t.id,
    t.degraded ? `${t.status}, degraded` : t.status,
    t.version ?? '-',
    t.lastError === null ? '' : clip(t.lastError, 80),
  ]);
  const degraded = tenants.flatMap((t) =>
    t.degraded
      ? [
          `  ${paint(io, 'red', t.id)}: ${t.degraded.reason.startsWith('needs reconnecting') ? 'needs reconnecting' : 'degraded'} since ${new Date(t.degraded.since).toISOString()}: ${clip(t.degraded.reason, 100)}\n    ${t.degraded.reason.startsWith('needs reconnecting') ? `its deliveries wait in the inbox until it is connected again (stagegate connect --tenant ${t.id})` : 'its deliveries wait in the inbox until Lever accepts its API key again (put the new key in, the tenant reloads)'}\n`,
        ]
      : [],
  );
  const failed = actions.failed > 0 ? paint(io, 'red', String(actions.failed)) : String(actions.failed);
  io.stdout.write(
    [
      paint(io, 'bold', 'tenants'),
      (rows.length === 0
        ? '  (none loaded)\n'
        : formatTable(['ID', 'STATUS', 'VERSION', 'LAST ERROR'], rows)) + degraded.join(''),
      `${paint(io, 'bold', 'actions')}  pending ${actions.pending}  running ${actions.running}  failed ${failed}  done ${actions.done}`,
      `${paint(io, 'bold', 'inbox')}    pending ${inbox.pending}  skipped ${inbox.skipped}${inbox.skipped > 0 ? '  (stagegate inbox list --status skipped)' : ''}`,
      '',
    ].join('\n'),
  );
  return exitCodes.ok;
}
