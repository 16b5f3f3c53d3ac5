import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { factTable } from '../src/kernel/facts.js';

/**
 * `node --import tsx scripts/fact-table.ts [--write]`: prints the README's fact table as the fact
 * catalogue (src/kernel/facts.ts) makes it; with --write, puts it into README.md in place of the one
 * there. test/unit/kernel/fact-catalogue.test.ts fails while they differ.
 */
export const readmePath = resolve(import.meta.dirname, '../README.md');

/** The README with its fact table (the lines from `| fact | fields |` to the first non-table line) replaced. */
export function withFactTable(readme: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.startsWith('| fact | fields |'));
  if (start < 0) throw new Error('README.md has no fact table (a line starting "| fact | fields |")');
  let end = start;
  while (end < lines.length && lines[end]?.startsWith('|')) end++;
  return [...lines.slice(0, start), ...factTable(), ...lines.slice(end)].join('\n');
}

if (process.argv[1] === import.meta.filename) {
  if (process.argv.includes('--write'))
    writeFileSync(readmePath, withFactTable(readFileSync(readmePath, 'utf8')));
  else console.log(factTable().join('\n'));
}
