import type { InboxSummary } from '../../admin/inbox-routes.js';
import type { InboxStatus } from '../../store/types.js';
import { type CliIo, exitCodes } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';
import { clip, formatTable } from './format-table.js';

export const inboxStatuses: readonly InboxStatus[] = ['pending', 'skipped', 'done'];

/** `stagegate inbox list [--tenant ID] [--status S] [--since T] [--limit N] [--json]`. */
export async function listInboxCommand(
  io: CliIo,
  options: AdminTarget & { tenant?: string; status?: string; since?: string; limit?: string; json?: boolean },
): Promise<number> {
  const query = new URLSearchParams();
  for (const name of ['tenant', 'status', 'since', 'limit'] as const) {
    const value = options[name];
    if (value !== undefined) query.set(name, value);
  }
  const search = query.size > 0 ? `?${query}` : '';
  const answer = await callAdmin<{ items: InboxSummary[]; more: boolean }>(
    io,
    options,
    'GET',
    `/inbox${search}`,
  );
  if (!answer.ok) return answer.code;
  const { items, more } = answer.body;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
    return exitCodes.ok;
  }
  if (items.length === 0) {
    io.stdout.write('no deliveries\n');
    return exitCodes.ok;
  }
  const rows = items.map((item) => [
    item.id,
    item.tenant,
    item.event,
    item.opportunityId ?? '-',
    new Date(item.receivedAt).toISOString(),
    item.replayedAt === undefined ? item.status : `${item.status} (replayed)`,
    item.reason === undefined ? '' : clip(item.reason, 100),
  ]);
  io.stdout.write(
    formatTable(['ID', 'TENANT', 'EVENT', 'OPPORTUNITY', 'RECEIVED', 'STATUS', 'REASON'], rows),
  );
  if (more)
    io.stdout.write(`(more: the first ${items.length} shown; narrow with --since or raise --limit)\n`);
  return exitCodes.ok;
}

/**
 * `stagegate inbox replay <id>` or `stagegate inbox replay --all-skipped --tenant ID --since T`: a
 * skipped delivery goes back to the worker, which decides it as if it had just arrived.
 */
export async function replayInboxCommand(
  io: CliIo,
  id: string | undefined,
  options: AdminTarget & { allSkipped?: boolean; tenant?: string; since?: string },
): Promise<number> {
  const usage = (message: string) => {
    io.stderr.write(
      `${message}\nusage: stagegate inbox replay <id> | --all-skipped --tenant ID --since <ISO time | 90s, 30m, 24h, 7d>\n`,
    );
    return exitCodes.invalid;
  };
  if (options.allSkipped) {
    if (id !== undefined) return usage('give an inbox item id or --all-skipped, not both');
    if (options.tenant === undefined) return usage('--all-skipped needs --tenant');
    if (options.since === undefined) return usage('--all-skipped needs --since: how far back to replay');
    const answer = await callAdmin<{ replayed: string[] }>(io, options, 'POST', '/inbox/replay-skipped', {
      tenant: options.tenant,
      since: options.since,
    });
    if (!answer.ok) return answer.code;
    const { replayed } = answer.body;
    io.stdout.write(
      replayed.length === 0
        ? 'no skipped deliveries to replay\n'
        : `${replayed.length} skipped deliveries back to pending:\n${replayed.map((x) => `  ${x}\n`).join('')}`,
    );
    return exitCodes.ok;
  }
  if (id === undefined) return usage('give the id of a skipped delivery, or --all-skipped');
  if (options.tenant !== undefined || options.since !== undefined) {
    return usage('--tenant and --since go with --all-skipped');
  }
  const answer = await callAdmin<{ item: InboxSummary }>(
    io,
    options,
    'POST',
    `/inbox/${encodeURIComponent(id)}/replay`,
  );
  if (!answer.ok) return answer.code;
  io.stdout.write(`inbox item ${answer.body.item.id} is pending again: the worker decides it now\n`);
  return exitCodes.ok;
}
