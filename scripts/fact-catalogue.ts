import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { factsSchema, factTable } from '../src/kernel/facts.js';

/**
 * `node --import tsx scripts/fact-catalogue.ts [--write]`: prints the README's fact table as the fact
 * catalogue (src/kernel/facts.ts) makes it; with --write, puts it into README.md in place of the one
 * there and writes schemas/facts.schema.json. test/unit/kernel/fact-catalogue.test.ts fails while
 * either differs from the catalogue.
 */
export const readmePath = resolve(import.meta.dirname, '../README.md');
export const factsSchemaPath = resolve(import.meta.dirname, '../schemas/facts.schema.json');

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
  if (process.argv.includes('--write')) {
    writeFileSync(readmePath, withFactTable(readFileSync(readmePath, 'utf8')));
    writeFileSync(factsSchemaPath, `${JSON.stringify(factsSchema(), null, 2)}\n`);
    // The schema as the formatter leaves it, so that `npm run lint` and the test agree.
    execFileSync('npx', ['biome', 'format', '--write', factsSchemaPath], { stdio: 'inherit' });
  } else console.log(factTable().join('\n'));
}
