import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './admin/register-admin-commands.js';
import { checkCommand } from './check-command.js';
import { explainCommand } from './explain-command.js';
import { initCommand } from './init-command.js';
import { type CliIo, exitCodes } from './io.js';
import { registerSimCommands } from './sim-command.js';
import { type StoreCopyOptions, storeCopyCommand } from './store/store-copy-command.js';
import { testCommand } from './test-command.js';
import { validateCommand } from './validate-command.js';
import { watchTests } from './watch-tests.js';

/** Ctrl-C: ends `test --watch` cleanly (the watcher closed, the last run's exit code kept). */
const interrupted = () => new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));

/** The `stagegate` command line. Returns the exit code; the bin script sets it. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = exitCodes.ok;
  const program = new Command('stagegate')
    .description(
      'Lever <-> assessment vendor integration: check tenant files, test rules, explain decisions, operate the running service.',
    )
    .version(io.version ?? 'unknown', '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  program
    .command('init')
    .description(
      'start a tenant: write tenants/<tenant>.yaml (commented) and tenants/<tenant>.test.yaml (cases that pass), and print the variables to set',
    )
    .argument('<tenant>', 'the tenant id: lower-case words joined by single dashes (zeta, big-co)')
    .option('--display-name <name>', "the customer's name as people say it (default: from the id)")
    .option(
      '--vendor-url <url>',
      "the vendor's https partner API root (greenhouse-partner); without it the tenant uses the built-in sandbox",
    )
    .action((tenant: string, options: { displayName?: string; vendorUrl?: string }) => {
      code = initCommand(io, tenant, options);
    });

  program
    .command('validate')
    .description(
      'check tenant files, rule packs and rule test files (default: the tenants and rules directories)',
    )
    .argument('[paths...]', 'files or directories')
    .option('--json', 'print the problems as JSON')
    .option('--require-secrets', 'treat a missing secret as an error, not a warning')
    .action((paths: string[], options: { json?: boolean; requireSecrets?: boolean }) => {
      code = validateCommand(io, paths, options);
    });

  program
    .command('test')
    .description('run rule test cases (tenants/<id>.test.yaml) and report rule coverage')
    .argument('[paths...]', 'fixture or tenant files, or directories (default: the tenants directory)')
    .option('--json', 'print results as JSON')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--coverage-min <percent>', "fail when a tenant's rule coverage is below this", Number)
    .option('--allow-empty', 'exit 0 when no case is found')
    .option('-t, --test-name-pattern <pattern>', 'run only cases whose name matches')
    .option('--watch', 'run again when a tenant, pack or fixture file is saved')
    .option('--full', "a failing case's trace shows every rule, not only those for its event type")
    .action(async (paths: string[], options: Parameters<typeof testCommand>[2] & { watch?: boolean }) => {
      code = options.watch
        ? await watchTests(io, paths, options, { stopped: interrupted() })
        : await testCommand(io, paths, options);
    });

  program
    .command('explain')
    .description(
      'print one decision (actions and the trace of every rule): from files, without calling anyone, or with --opportunity live from the running service',
    )
    .option('--tenant <id>', 'the tenant')
    .option(
      '--event <file|type>',
      'an event file: friendly form (as in a test case) or a raw Lever webhook body; with --opportunity, an event type',
    )
    .option('--facts <file>', 'facts to set over the computed ones')
    .option('--decision <id>', 'a decision the service recorded, replayed against the tenant files here')
    .option(
      '--opportunity <id>',
      'ask the running service: read the candidate from Lever now and show what the rules would do (nothing is written)',
    )
    .option(
      '--url <url>',
      'the service, for --decision and --opportunity (default: STAGEGATE_URL or http://127.0.0.1:8080)',
    )
    .option('--json', 'print the decision as JSON')
    .option('--brief', 'actions, reasons and the rules that fired; no trace')
    .option('--full', 'the trace of every rule, not only of those for the event type')
    .action(
      async (options: {
        brief?: boolean;
        full?: boolean;
        tenant?: string;
        event?: string;
        facts?: string;
        decision?: string;
        opportunity?: string;
        url?: string;
        json?: boolean;
      }) => {
        code = await explainCommand(io, options);
      },
    );

  program
    .command('check')
    .description(
      'ask Lever and the vendor whether what a tenant names exists: secrets, API keys, stages, tests, webhooks',
    )
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--json', 'print the checks as JSON')
    .action(async (options: { tenant: string; json?: boolean }) => {
      code = await checkCommand(io, options);
    });

  program
    .command('store')
    .description('move an installation between stores')
    .command('copy')
    .description(
      'copy an embedded store, pending work included, into an empty PostgreSQL store at DATABASE_URL (the service on the source must be stopped)',
    )
    .requiredOption(
      '--from <store>',
      'sqlite or lowdb, optionally :DIR (default: $STAGEGATE_DATA_DIR or data)',
    )
    .requiredOption('--to <store>', 'postgres: the store at DATABASE_URL')
    .option('--json', 'print the counts as JSON')
    .action(async (options: StoreCopyOptions) => {
      code = await storeCopyCommand(io, options);
    });

  registerAdminCommands(program, io, (result) => {
    code = result;
  });
  registerSimCommands(program, io, (result) => {
    code = result;
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.invalid;
    throw error;
  }
  return code;
}
