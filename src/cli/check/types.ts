/** failed makes `stagegate check` exit 1; warning does not; skipped could not be checked (see the failure before it). */
export type CheckStatus = 'ok' | 'failed' | 'warning' | 'skipped';

export interface CheckResult {
  /** What was checked, in a few words: `secret ACME__LEVER_API_KEY`, `trigger stage 'Take-home'`. */
  check: string;
  status: CheckStatus;
  message: string;
  /** What to do about it, for failures and warnings. */
  fix?: string;
}

/** A secret the tenant file references, named as the operator sets it, and its value when set. */
export interface ResolvedSecret {
  /** `ACME__LEVER_API_KEY` for an env reference, the path for a file reference. */
  name: string;
  kind: 'env' | 'file';
  /** Where the tenant file references it: `lever.apiKey`. */
  where: string;
  value: string | undefined;
  /** When there is no value: what is wrong, and what to do, as the loader words it. */
  problem?: string;
  fix?: string;
}
