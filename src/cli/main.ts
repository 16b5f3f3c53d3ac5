import { Command, CommanderError } from 'commander';
import { type CliIo, exitCodes } from './io.js';
import { validateCommand } from './validate-command.js';

/** The `stagegate` command line. Returns the exit code; the bin script sets it. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = exitCodes.ok;
  const program = new Command('stagegate')
    .description(
      'Lever <-> assessment vendor integration: check tenant files, test rules, explain decisions.',
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
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

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.invalid;
    throw error;
  }
  return code;
}
