import type { Logger } from 'pino';
import type { TenantSnapshot } from '../../config/types.js';
import type { Decision } from '../../decide/types.js';
import type { Action } from '../../kernel/actions.js';
import type { LeverClient } from '../../lever/create-lever-client.js';
import type { AssessmentProvider } from '../../providers/types.js';
import type { ActionRecord, Store } from '../../store/types.js';
import { addLinks, addNote, addTags, archive, moveStage, removeTags } from './lever-actions.js';
import { sendAssessment } from './send-assessment.js';
import { cancelInvitations, purgeCandidate } from './store-actions.js';

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

const handlers: { [K in Action['type']]: ActionHandler<Extract<Action, { type: K }>> } = {
  'assessment.send': sendAssessment,
  'lever.addTags': addTags,
  'lever.removeTags': removeTags,
  'lever.addLinks': addLinks,
  'lever.addNote': addNote,
  'lever.moveStage': moveStage,
  'lever.archive': archive,
  'invitation.cancel': cancelInvitations,
  'candidate.purge': purgeCandidate,
};

/** The executor's router: one handler per action type. */
export function runAction(action: Action, context: ActionContext): Promise<unknown> {
  const handler = handlers[action.type] as ActionHandler;
  return handler(action, context);
}
