import { type Command, Option } from 'commander';
import type { CliIo } from '../io.js';
import { actionStatuses, listActionsCommand, retryActionsCommand } from './actions-command.js';
import { backfillCommand } from './backfill-command.js';
import { defaultServiceUrl } from './call-admin.js';
import { candidateCommand } from './candidate-command.js';
import { connectCommand, disconnectCommand } from './connect-command.js';
import { showDecisionCommand } from './decisions-command.js';
import { inboxStatuses, listInboxCommand, replayInboxCommand } from './inbox-command.js';
import { completeSandboxCommand } from './sandbox-command.js';
import { statusCommand } from './status-command.js';

const urlOption = [
  '--url <url>',
  `the running stagegate service (default: $STAGEGATE_URL or ${defaultServiceUrl})`,
] as const;

/**
 * The commands that talk to the running service's admin API (lowdb lets one process hold the store,
 * so changes go through the service). The token comes from STAGEGATE_ADMIN_TOKEN.
 */
export function registerAdminCommands(program: Command, io: CliIo, setCode: (code: number) => void): void {
  const actions = program.command('actions').description('list and retry the actions of the running service');
  actions
    .command('list')
    .description('list actions: id, tenant, opportunity, type, status, attempts, last error')
    .option('--tenant <id>', 'only this tenant')
    .addOption(new Option('--status <status>', 'only actions in this status').choices(actionStatuses))
    .option('--in-doubt', 'only failed sends the vendor may have: each waits for a check at the vendor')
    .option('--json', 'print the actions as JSON')
    .option(...urlOption)
    .action(async (options: Parameters<typeof listActionsCommand>[1]) => {
      setCode(await listActionsCommand(io, options));
    });
  actions
    .command('retry')
    .description('put a failed action (or every failed one) back to pending, due now')
    .argument('[id]', 'the action id')
    .option('--all-failed', 'retry every failed action')
    .option(
      '--all-in-doubt',
      'with --tenant and --not-at-vendor: send again every send in doubt the vendor does not have',
    )
    .option('--tenant <id>', 'with --all-failed: only this tenant; with --all-in-doubt: the tenant')
    .option('--dry-run', 'with --all-in-doubt: list the sends in doubt; change nothing')
    .option('--not-at-vendor', 'you checked at the vendor and it has no such invitation: send it')
    .option(
      '--at-vendor <id>',
      'you checked at the vendor and it has the invitation, with this id: record it, do not send again',
    )
    .option(...urlOption)
    .action(async (id: string | undefined, options: Parameters<typeof retryActionsCommand>[2]) => {
      setCode(await retryActionsCommand(io, id, options));
    });

  const inbox = program.command('inbox').description('list and replay the deliveries of the running service');
  inbox
    .command('list')
    .description('list deliveries: id, tenant, event, opportunity, received, status, and why one was skipped')
    .option('--tenant <id>', 'only this tenant')
    .addOption(new Option('--status <status>', 'only deliveries in this status').choices(inboxStatuses))
    .option(
      '--since <time>',
      'only those received since: an ISO time, or a duration back (90s, 30m, 24h, 7d)',
    )
    .option('--limit <n>', 'at most this many, the oldest first (default 100)')
    .option('--json', 'print the deliveries as JSON')
    .option(...urlOption)
    .action(async (options: Parameters<typeof listInboxCommand>[1]) => {
      setCode(await listInboxCommand(io, options));
    });
  inbox
    .command('replay')
    .description('put a skipped delivery (or every skipped one of a tenant since a time) back to the worker')
    .argument('[id]', 'the inbox item id')
    .option('--all-skipped', 'replay every skipped delivery of --tenant received since --since')
    .option('--tenant <id>', 'with --all-skipped: the tenant')
    .option('--since <time>', 'with --all-skipped: an ISO time, or a duration back (90s, 30m, 24h, 7d)')
    .option(...urlOption)
    .action(async (id: string | undefined, options: Parameters<typeof replayInboxCommand>[2]) => {
      setCode(await replayInboxCommand(io, id, options));
    });

  program
    .command('decisions')
    .description('show decisions the running service recorded')
    .command('show')
    .description('print one recorded decision: its actions, why, and the trace of every rule')
    .argument('<id>', 'the decision id')
    .option('--json', 'print the decision record as JSON')
    .option(...urlOption)
    .action(async (id: string, options: Parameters<typeof showDecisionCommand>[2]) => {
      setCode(await showDecisionCommand(io, id, options));
    });

  program
    .command('candidate')
    .description(
      'what the running service did for a candidate and why: deliveries, decisions, actions and invitations, in time order',
    )
    .argument('<who>', "the candidate's opportunity id, or e-mail (any case)")
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--json', 'print the timeline as JSON')
    .option(...urlOption)
    .action(async (who: string, options: Parameters<typeof candidateCommand>[2]) => {
      setCode(await candidateCommand(io, who, options));
    });

  program
    .command('status')
    .description('tenants (status, version, last error) and counts of actions and pending deliveries')
    .option('--json', 'print the status as JSON')
    .option(...urlOption)
    .action(async (options: Parameters<typeof statusCommand>[1]) => {
      setCode(await statusCommand(io, options));
    });

  program
    .command('sandbox')
    .description('drive the sandbox assessment vendor of the running service')
    .command('complete')
    .description('mark a sandbox invitation complete, as a candidate finishing the test would')
    .argument('<tenant>', 'the tenant')
    .argument('<invitation>', 'the invitation id')
    .option('--score <score>', 'the score (default: none)')
    .option(...urlOption)
    .action(async (tenant: string, invitation: string, options: { score?: string; url?: string }) => {
      setCode(await completeSandboxCommand(io, tenant, invitation, options));
    });

  program
    .command('backfill')
    .description(
      "queue the candidates already in the tenant's trigger stages, as if each had just arrived there",
    )
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--stage <name>', 'only this trigger stage (default: all of them)')
    .option('--dry-run', 'list who would be queued; queue nothing')
    .option('--explain', 'with --dry-run: also show what the rules would decide for each')
    .option('--json', 'print the report as JSON')
    .option(...urlOption)
    .action(async (options: Parameters<typeof backfillCommand>[1]) => {
      setCode(await backfillCommand(io, options));
    });

  program
    .command('connect')
    .description(
      "print a one-time link for the tenant's Lever Super Admin: OAuth, then stagegate registers the webhooks",
    )
    .requiredOption('--tenant <id>', 'the tenant (lever.auth: oauth)')
    .option('--json', 'print the link as JSON')
    .option(...urlOption)
    .action(async (options: Parameters<typeof connectCommand>[1]) => {
      setCode(await connectCommand(io, options));
    });
  program
    .command('disconnect')
    .description('delete the webhooks stagegate registered in Lever for the tenant and forget its tokens')
    .requiredOption('--tenant <id>', 'the tenant')
    .option(...urlOption)
    .action(async (options: Parameters<typeof disconnectCommand>[1]) => {
      setCode(await disconnectCommand(io, options));
    });
}
