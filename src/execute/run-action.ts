import type { Action } from '../kernel/actions.js';
import { addLinks, addNote, addTags, archive, moveStage, removeTags } from './actions/lever-actions.js';
import { sendAssessment } from './actions/send-assessment.js';
import { cancelInvitations, purgeCandidate } from './actions/store-actions.js';
import type { ActionContext, ActionHandler } from './types.js';

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
