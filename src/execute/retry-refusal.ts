import { StagegateError } from '../kernel/errors.js';

/** Why a retry was refused, in `details.reason` of the CONFLICT error. */
export type RetryRefusal =
  | 'not-failed'
  | 'earlier-failed'
  | 'in-doubt'
  | 'not-a-send'
  | 'both-answers'
  | 'not-in-doubt'
  | 'vendor-id-taken'
  | 'vendor-unchecked';

/** A retry that does not apply to the action as it stands: 409, with the reason in `details`. */
export function conflict(reason: RetryRefusal, message: string): StagegateError {
  return new StagegateError('CONFLICT', message, { details: { reason } });
}
