import type { ActionRecord, ActionStatus } from '../../store/types.js';
import { type CliIo, exitCodes } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';
import { clip, formatTable } from './format-table.js';
import { type RetryInDoubtOptions, retryInDoubtCommand } from './retry-in-doubt-command.js';

export const actionStatuses: readonly ActionStatus[] = ['pending', 'running', 'done', 'failed'];

/**
 * `stagegate actions list [--tenant ID] [--status S] [--in-doubt] [--json]`. `--in-doubt`: the
 * failed sends the vendor may have, each waiting for an operator's check (--at-vendor / --not-at-vendor).
 */
export async function listActionsCommand(
  io: CliIo,
  options: AdminTarget & { tenant?: string; status?: string; inDoubt?: boolean; json?: boolean },
): Promise<number> {
  const query = new URLSearchParams();
  if (options.tenant !== undefined) query.set('tenant', options.tenant);
  if (options.inDoubt) {
    if (options.status !== undefined && options.status !== 'failed') {
      io.stderr.write('--in-doubt lists failed actions; it does not go with another --status\n');
      return exitCodes.invalid;
    }
    query.set('status', 'failed');
    query.set('failureClass', 'in-doubt');
  } else if (options.status !== undefined) query.set('status', options.status);
  const search = query.size > 0 ? `?${query}` : '';
  const answer = await callAdmin<{ actions: ActionRecord[] }>(io, options, 'GET', `/actions${search}`);
  if (!answer.ok) return answer.code;
  const { actions } = answer.body;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(actions, null, 2)}\n`);
  } else if (actions.length === 0) {
    io.stdout.write(options.inDoubt ? 'no sends in doubt\n' : 'no actions\n');
  } else {
    const rows = actions.map((record) => [
      record.id,
      record.tenant,
      record.opportunityId ?? '-',
      actionType(record.action),
      record.status === 'failed' && record.failureClass === 'in-doubt' ? 'failed (in-doubt)' : record.status,
      String(record.attempts),
      record.lastError === undefined ? '' : clip(record.lastError, 80),
    ]);
    io.stdout.write(
      formatTable(['ID', 'TENANT', 'OPPORTUNITY', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST ERROR'], rows),
    );
  }
  return exitCodes.ok;
}

interface RetryAnswer {
  action: ActionRecord;
  resumed?: ActionRecord[];
}

/**
 * `stagegate actions retry <id> [--not-at-vendor | --at-vendor <vendor id>]`,
 * `stagegate actions retry --all-failed [--tenant ID]` or
 * `stagegate actions retry --all-in-doubt --tenant ID --not-at-vendor [--dry-run]`. The vendor flags
 * are an operator's word about a send stagegate cannot tell the vendor received: it is not there
 * (send it), or it is there with this id (record it). So they never go with --all-failed; and only
 * --not-at-vendor goes with --all-in-doubt, for one tenant, after the operator checked every send.
 */
export async function retryActionsCommand(
  io: CliIo,
  id: string | undefined,
  options: AdminTarget & {
    allFailed?: boolean;
    allInDoubt?: boolean;
    tenant?: string;
    notAtVendor?: boolean;
    atVendor?: string;
    dryRun?: boolean;
  },
): Promise<number> {
  const usage = (message: string) => {
    io.stderr.write(
      `${message}\nusage: stagegate actions retry <id> [--not-at-vendor | --at-vendor <vendor invitation id>] | --all-failed [--tenant ID] | --all-in-doubt --tenant ID (--not-at-vendor | --dry-run)\n`,
    );
    return exitCodes.invalid;
  };
  const atVendor = options.atVendor?.trim();
  if (options.allInDoubt) {
    if (id !== undefined) return usage('give an action id or --all-in-doubt, not both');
    if (options.allFailed) return usage('give --all-failed or --all-in-doubt, not both');
    const { allFailed: _allFailed, allInDoubt: _allInDoubt, ...rest } = options;
    return retryInDoubtCommand(io, rest satisfies RetryInDoubtOptions, usage);
  }
  if (options.dryRun) return usage('--dry-run goes with --all-in-doubt');
  if (options.allFailed) {
    if (id !== undefined) return usage('give an action id or --all-failed, not both');
    if (options.notAtVendor) return usage('--not-at-vendor goes with one action id, checked at the vendor');
    if (atVendor !== undefined) return usage('--at-vendor goes with one action id, checked at the vendor');
    const search = options.tenant === undefined ? '' : `?${new URLSearchParams({ tenant: options.tenant })}`;
    const answer = await callAdmin<{ retried: string[]; skipped?: { id: string; message: string }[] }>(
      io,
      options,
      'POST',
      `/actions/retry-failed${search}`,
    );
    if (!answer.ok) return answer.code;
    const { retried, skipped = [] } = answer.body;
    io.stdout.write(
      retried.length === 0
        ? 'no failed actions to retry\n'
        : `${retried.length} failed action(s) back to pending:\n${retried.map((x) => `  ${x}\n`).join('')}`,
    );
    if (skipped.length > 0) {
      io.stdout.write(
        `${skipped.length} not retried:\n${skipped.map((x) => `  ${x.id}: ${x.message}\n`).join('')}`,
      );
    }
    return exitCodes.ok;
  }
  if (id === undefined) return usage('give the id of a failed action, or --all-failed');
  if (options.tenant !== undefined) return usage('--tenant goes with --all-failed');
  if (atVendor === '') return usage('--at-vendor needs the id the vendor gave the invitation');
  // Both vendor flags go to the service, which refuses them (CONFLICT) as it does for any caller.
  const body = {
    ...(options.notAtVendor ? { notAtVendor: true } : {}),
    ...(atVendor === undefined ? {} : { atVendor }),
  };
  const answer = await callAdmin<RetryAnswer>(
    io,
    options,
    'POST',
    `/actions/${encodeURIComponent(id)}/retry`,
    Object.keys(body).length > 0 ? body : undefined,
  );
  if (!answer.ok) return answer.code;
  const { action, resumed = [] } = answer.body;
  // Done only with --at-vendor: recorded, not sent; the rest of its decision is what runs now.
  const recorded = action.status === 'done';
  io.stdout.write(
    recorded
      ? `action ${action.id} is done: its invitation is recorded as sent, vendor invitation ${atVendor}; nothing was sent again\n`
      : `action ${action.id} is ${action.status} again, due now\n`,
  );
  if (resumed.length > 0) {
    const heading = recorded
      ? 'the later action(s) of its decision, due now'
      : 'with the later action(s) of its decision';
    io.stdout.write(`${heading}:\n${resumed.map((x) => `  ${x.id}\n`).join('')}`);
  }
  return exitCodes.ok;
}

function actionType(action: unknown): string {
  const type = (action as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : '?';
}
