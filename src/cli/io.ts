/** What a CLI command may touch: its streams, environment and working directory, given by the entry point. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** This package's version (package.json), for `stagegate --version`; the bin script reads it. */
  version?: string;
}

export const exitCodes = { ok: 0, failed: 1, invalid: 2 } as const;

export function paint(io: CliIo, colour: 'red' | 'green' | 'yellow' | 'dim' | 'bold', text: string): string {
  if (!io.stdout.isTTY || io.env.NO_COLOR !== undefined) return text;
  const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
  return `\u001b[${codes[colour]}m${text}\u001b[0m`;
}
