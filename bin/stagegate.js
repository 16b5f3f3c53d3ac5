#!/usr/bin/env node
// The CLI entry. `npm ci` builds dist/ through the prepare script, so `npx stagegate` works at once.
import { readFileSync } from 'node:fs';
import { runCli } from '../dist/src/cli/main.js';

// `stagegate test | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
});
