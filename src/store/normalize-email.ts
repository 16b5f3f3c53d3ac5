/**
 * The form in which e-mails are indexed and looked up: ASCII whitespace trimmed, ASCII letters
 * lower-cased. Only ASCII, so that SQL (`lower(trim(x, …))` in SQLite, the same in PostgreSQL with
 * the C collation) and JavaScript agree byte for byte; a non-ASCII letter matches only as written.
 */
export function normalizeEmail(email: string): string {
  return email
    .replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '')
    .replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** The SQL expression of normalizeEmail over a text expression (SQLite; PostgreSQL with btrim). */
export function normalizedEmailSql(expression: string): string {
  return `lower(trim(${expression}, char(32, 9, 10, 13, 12, 11)))`;
}
