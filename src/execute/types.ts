import type { Logger } from 'pino';
import type { TenantSnapshot } from '../config/types.js';
import type { Decision } from '../decide/types.js';
import type { Action } from '../kernel/actions.js';
import type { LeverClient } from '../lever/create-lever-client.js';
import type { AssessmentProvider } from '../providers/types.js';
import type { ActionRecord, Store } from '../store/types.js';

/** What an action handler may use: the tenant, its Lever client and vendor, the store, the time. */
export interface ActionContext {
  tenant: TenantSnapshot;
  record: ActionRecord;
  /** The decision the action belongs to (its facts: the candidate's name and e-mail). */
  decision: Decision;
  lever: LeverClient;
  provider: AssessmentProvider;
  store: Store;
  now: number;
  log: Logger;
  /** Where the vendor reports a completed invitation. */
  callbackUrl(invitationId: string): string;
}

export type ActionHandler<A extends Action = Action> = (
  action: A,
  context: ActionContext,
) => Promise<unknown>;
