import { StagegateError } from '../kernel/errors.js';
import type { ProviderErrorDetails } from './types.js';

/** A PROVIDER_API error whose message can go into a note to a recruiter as it is. */
export function createProviderError(
  message: string,
  details: ProviderErrorDetails,
  cause?: unknown,
): StagegateError {
  return new StagegateError('PROVIDER_API', message, {
    details: { ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}
