import type { CheckResult, ResolvedSecret } from './types.js';

/** One line per referenced secret: set, or what to set. */
export function checkSecrets(secrets: readonly ResolvedSecret[]): CheckResult[] {
  return secrets.map((secret) => {
    const what =
      secret.kind === 'env' ? `the environment variable ${secret.name}` : `the file ${secret.name}`;
    if (secret.value !== undefined) {
      return { check: `secret ${secret.name}`, status: 'ok', message: `${what} is set (${secret.where})` };
    }
    return {
      check: `secret ${secret.name}`,
      status: 'failed',
      message: `${secret.problem ?? `${what} is not set`} (${secret.where})`,
      fix: secret.fix ?? `set ${secret.name} in stagegate's environment`,
    };
  });
}
