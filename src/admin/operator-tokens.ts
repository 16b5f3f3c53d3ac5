import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { minAdminTokenLength } from '../kernel/bearer-token.js';

/** An operator's token, by the name the log and the console give whoever presents it. */
export interface OperatorToken {
  name: string;
  token: string;
}

/** The name STAGEGATE_ADMIN_TOKEN's holder goes by. */
export const singleTokenName = 'admin';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/**
 * STAGEGATE_ADMIN_TOKENS (`ana:<token>,ben:<token>`) beside STAGEGATE_ADMIN_TOKEN (named `admin`).
 * Each problem names the entry by its name or position, never by its token.
 */
export function parseOperatorTokens(
  single: string,
  named: string,
): { operators: OperatorToken[]; problems: string[] } {
  const operators: OperatorToken[] = [];
  const problems: string[] = [];
  if (single !== '') operators.push({ name: singleTokenName, token: single });
  const entries = named
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  entries.forEach((entry, n) => {
    const colon = entry.indexOf(':');
    const name = colon < 0 ? '' : entry.slice(0, colon).trim();
    const token = colon < 0 ? '' : entry.slice(colon + 1).trim();
    const where = `STAGEGATE_ADMIN_TOKENS entry ${n + 1}`;
    if (!namePattern.test(name)) {
      problems.push(
        `${where} must be name:token with a name of letters, digits, '.', '_' or '-' (at most 32)`,
      );
      return;
    }
    if (token.length < minAdminTokenLength) {
      problems.push(
        `${where} (${name}) needs a token of at least ${minAdminTokenLength} characters, got ${token.length} (make one with: openssl rand -hex 32)`,
      );
      return;
    }
    if (operators.some((other) => other.name === name)) {
      problems.push(`${where}: the name ${name} is given twice`);
      return;
    }
    if (operators.some((other) => other.token === token)) {
      problems.push(`${where} (${name}): this token is already another operator's; each needs its own`);
      return;
    }
    operators.push({ name, token });
  });
  return { operators, problems };
}

/**
 * Who presents this token: the operator's name, or undefined. Every token is compared, each in
 * constant time over HMACs of equal length, so neither the time taken nor an early exit says which
 * token (or how much of one) matched.
 */
export function createOperatorCheck(
  operators: readonly OperatorToken[],
): (presented: string | undefined) => string | undefined {
  const key = randomBytes(32);
  const digest = (value: string) => createHmac('sha256', key).update(value).digest();
  const expected = operators.map((operator) => ({ name: operator.name, digest: digest(operator.token) }));
  return (presented) => {
    if (presented === undefined || presented === '') return undefined;
    const given = digest(presented);
    let found: string | undefined;
    for (const candidate of expected) {
      if (timingSafeEqual(given, candidate.digest) && found === undefined) found = candidate.name;
    }
    return found;
  };
}

/** `Authorization: Bearer <token>` -> the operator's name, or undefined. */
export function createOperatorBearerCheck(
  operators: readonly OperatorToken[],
): (authorization: string | undefined) => string | undefined {
  const check = createOperatorCheck(operators);
  return (authorization) => check(/^Bearer (.+)$/.exec(authorization ?? '')?.[1]);
}
