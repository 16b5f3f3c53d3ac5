import type { InDoubtOutcome } from '../../admin/retry-in-doubt.js';
import { type CliIo, exitCodes } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';
import { clip } from './format-table.js';

export interface RetryInDoubtOptions extends AdminTarget {
  tenant?: string;
  notAtVendor?: boolean;
  atVendor?: string;
  dryRun?: boolean;
}

/**
 * `stagegate actions retry --all-in-doubt --tenant ID --not-at-vendor [--dry-run]`: after a vendor
 * outage, every send of the tenant that failed in doubt, once the operator checked at the vendor
 * that it has none of them, is sent again (POST /admin/actions/retry-in-doubt). What became of each
 * is printed. One tenant at a time, and never with --at-vendor: each invitation has its own id.
 */
export async function retryInDoubtCommand(
  io: CliIo,
  options: RetryInDoubtOptions,
  usage: (message: string) => number,
): Promise<number> {
  if (options.tenant === undefined) {
    return usage('--all-in-doubt needs --tenant: check one vendor account at a time');
  }
  if (options.atVendor !== undefined) {
    return usage(
      '--at-vendor goes with one action id: the vendor gave each invitation an id of its own; with --all-in-doubt use --not-at-vendor',
    );
  }
  if (!options.notAtVendor && !options.dryRun) {
    return usage(
      '--all-in-doubt sends again only what the vendor does not have: check at the vendor, then add --not-at-vendor (or --dry-run to list them)',
    );
  }
  const search = new URLSearchParams({ tenant: options.tenant });
  const answer = await callAdmin<{ actions: InDoubtOutcome[] }>(
    io,
    options,
    'POST',
    `/actions/retry-in-doubt?${search}`,
    options.dryRun ? { dryRun: true } : { notAtVendor: true },
  );
  if (!answer.ok) return answer.code;
  const { actions } = answer.body;
  if (actions.length === 0) {
    io.stdout.write(`no sends in doubt for tenant ${options.tenant}\n`);
    return exitCodes.ok;
  }
  for (const outcome of actions) io.stdout.write(`${describe(outcome)}\n`);
  const count = (kind: InDoubtOutcome['outcome']) => actions.filter((a) => a.outcome === kind).length;
  io.stdout.write(
    options.dryRun
      ? `${count('would-retry')} send(s) in doubt for tenant ${options.tenant}; nothing was changed. Check at the vendor that it has none of them, then run again with --not-at-vendor instead of --dry-run\n`
      : `${count('retried')} send(s) of tenant ${options.tenant} back to pending, due now${count('refused') > 0 ? `; ${count('refused')} refused` : ''}\n`,
  );
  return exitCodes.ok;
}

function describe(outcome: InDoubtOutcome): string {
  const what = `action ${outcome.id} (opportunity ${outcome.opportunityId ?? '-'}, ${outcome.test ?? 'not a send'})`;
  switch (outcome.outcome) {
    case 'would-retry':
      return `would send again: ${what}${outcome.message === undefined ? '' : `: ${clip(outcome.message, 100)}`}`;
    case 'retried': {
      const resumed = outcome.resumed ?? [];
      return `sending again: ${what}${resumed.length > 0 ? `, with ${resumed.join(', ')}` : ''}`;
    }
    case 'refused':
      return `refused: ${what}: ${outcome.message ?? ''}`;
  }
}
