/**
 * A DATABASE_URL as it may be logged or shown: user, host, port and database, never the password
 * (nor query parameters, which may carry one).
 */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`;
    return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'an unparseable DATABASE_URL';
  }
}
