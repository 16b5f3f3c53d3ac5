import { basename } from 'node:path';

/** The PostgreSQL schema a test directory's store lives in: each test its own, one database per test file. */
export function schemaForDir(dir: string): string {
  return `s_${basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '_')}`.slice(0, 63);
}
