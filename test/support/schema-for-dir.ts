import { createHash } from 'node:crypto';

/**
 * The PostgreSQL schema a directory's store lives in (a test's store directory, a workspace's data
 * directory): each its own, in one database per test file.
 */
export function schemaForDir(dir: string): string {
  return `s_${createHash('sha256').update(dir).digest('hex').slice(0, 24)}`;
}

/** DATABASE_URL for a service whose data directory is `dir`: its tables in the directory's schema. */
export function databaseUrlForDir(databaseUrl: string, dir: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schemaForDir(dir)}`);
  return url.toString();
}
