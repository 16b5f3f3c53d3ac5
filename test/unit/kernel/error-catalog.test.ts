import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnosticCatalog } from '../../../src/config/diagnostic.js';
import { errorCatalog, StagegateError, toStagegateError } from '../../../src/kernel/errors.js';
import { repoRoot } from '../../support/load-shipped-tenant.js';

// The error codes' table moved to docs/error-codes.md; the diagnostic codes stay in the README's "Validation".
const errorCodesDoc = readFileSync(resolve(repoRoot, 'docs/error-codes.md'), 'utf8');
const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');

/** The rows of the table in `text` whose header starts with `header`: first cell (code) -> the other cells. */
function tableRows(text: string, header: string): Map<string, string[]> {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${header} |`));
  if (start < 0) throw new Error(`no table with the header '${header}'`);
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    rows.set((cells[0] ?? '').replace(/`/g, ''), cells.slice(1));
  }
  return rows;
}

describe('the error catalog, docs/error-codes.md and the README', () => {
  it('lists every error code with its HTTP status and meaning, and no other', () => {
    const rows = tableRows(errorCodesDoc, 'code');
    expect([...rows.keys()].sort()).toEqual(Object.keys(errorCatalog).sort());
    for (const [code, { status, summary }] of Object.entries(errorCatalog)) {
      expect(rows.get(code)).toEqual([String(status), summary]);
    }
  });

  it('lists every configuration diagnostic code, and no other', () => {
    const rows = tableRows(readme, 'diagnostic code');
    expect([...rows.keys()].sort()).toEqual(Object.keys(diagnosticCatalog).sort());
    for (const [code, meaning] of Object.entries(diagnosticCatalog))
      expect(rows.get(code)).toEqual([meaning]);
  });

  it('wraps unknown errors with their cause, and keeps stagegate errors as they are', () => {
    const cause = new Error('disk on fire');
    const wrapped = toStagegateError(cause);
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.status).toBe(500);
    expect(wrapped.cause).toBe(cause);
    const own = new StagegateError('TENANT_UNKNOWN', 'no tenant x');
    expect(toStagegateError(own)).toBe(own);
    expect(own.status).toBe(404);
  });
});
