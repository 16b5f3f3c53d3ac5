#!/usr/bin/env node
// The CLI entry. `npm ci` builds dist/ through the prepare script, so `npx stagegate` works at once.
import { runCli } from '../dist/src/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
