/**
 * An `Authorization` header for HTTP Basic auth (RFC 7617). Lever and the assessment vendors both take
 * the API key as the user name and an empty password.
 */
export function basicAuthorization(user: string, password = ''): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
