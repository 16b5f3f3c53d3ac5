import type { ActionRecord, ActionStatus } from '../../store/types.js';
import { type CliIo, exitCodes } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';
import { clip, formatTable } from './format-table.js';

export const actionStatuses: readonly ActionStatus[] = ['pending', 'running', 'done', 'failed'];

/** `stagegate actions list [--tenant ID] [--status S] [--json]`. */
export async function listActionsCommand(
  io: CliIo,
  options: AdminTarget & { tenant?: string; status?: string; json?: boolean },
): Promise<number> {
  const query = new URLSearchParams();
  if (options.tenant !== undefined) query.set('tenant', options.tenant);
  if (options.status !== undefined) query.set('status', options.status);
  const search = query.size > 0 ? `?${query}` : '';
  const answer = await callAdmin<{ actions: ActionRecord[] }>(io, options, 'GET', `/actions${search}`);
  if (!answer.ok) return answer.code;
  const { actions } = answer.body;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(actions, null, 2)}\n`);
  } else if (actions.length === 0) {
    io.stdout.write('no actions\n');
  } else {
    const rows = actions.map((record) => [
      record.id,
      record.tenant,
      record.opportunityId ?? '-',
      actionType(record.action),
      record.status,
      String(record.attempts),
      record.lastError === undefined ? '' : clip(record.lastError, 80),
    ]);
    io.stdout.write(
      formatTable(['ID', 'TENANT', 'OPPORTUNITY', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST ERROR'], rows),
    );
  }
  return exitCodes.ok;
}

/** `stagegate actions retry <id>` or `stagegate actions retry --all-failed [--tenant ID]`. */
export async function retryActionsCommand(
  io: CliIo,
  id: string | undefined,
  options: AdminTarget & { allFailed?: boolean; tenant?: string },
): Promise<number> {
  const usage = (message: string) => {
    io.stderr.write(`${message}\nusage: stagegate actions retry <id> | --all-failed [--tenant ID]\n`);
    return exitCodes.invalid;
  };
  if (options.allFailed) {
    if (id !== undefined) return usage('give an action id or --all-failed, not both');
    const search = options.tenant === undefined ? '' : `?${new URLSearchParams({ tenant: options.tenant })}`;
    const answer = await callAdmin<{ retried: string[] }>(
      io,
      options,
      'POST',
      `/actions/retry-failed${search}`,
    );
    if (!answer.ok) return answer.code;
    const { retried } = answer.body;
    io.stdout.write(
      retried.length === 0
        ? 'no failed actions to retry\n'
        : `${retried.length} failed action(s) back to pending:\n${retried.map((x) => `  ${x}\n`).join('')}`,
    );
    return exitCodes.ok;
  }
  if (id === undefined) return usage('give the id of a failed action, or --all-failed');
  if (options.tenant !== undefined) return usage('--tenant goes with --all-failed');
  const answer = await callAdmin<{ action: ActionRecord }>(
    io,
    options,
    'POST',
    `/actions/${encodeURIComponent(id)}/retry`,
  );
  if (!answer.ok) return answer.code;
  io.stdout.write(`action ${answer.body.action.id} is ${answer.body.action.status} again, due now\n`);
  return exitCodes.ok;
}

function actionType(action: unknown): string {
  const type = (action as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : '?';
}
