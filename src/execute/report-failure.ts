import type { Action } from '../kernel/actions.js';
import { addNoteOnce } from './actions/add-note-once.js';
import { addTagsReplacingStatus } from './actions/add-tags-replacing-status.js';
import type { ActionContext } from './types.js';

/**
 * Shows a permanent failure where recruiters look: the Error status tag (replacing the status tags
 * the candidate has now, not those the decision saw) and a note saying what failed and why. Best
 * effort: if Lever itself is what fails, the failure is still in the outbox,
 * `stagegate actions list --status failed` and /metrics.
 */
export async function reportFailure(action: Action, error: Error, context: ActionContext): Promise<void> {
  const opportunityId = context.record.opportunityId;
  if (opportunityId === null || action.type === 'candidate.purge') return;
  const { statusTags } = context.decision.facts;
  try {
    await addTagsReplacingStatus(context.lever, opportunityId, [statusTags.error], statusTags.all);
    // A crash before the failure is recorded shows it again on restart: the note only once.
    await addNoteOnce(context.lever, opportunityId, {
      text: `stagegate could not ${describe(action)}: ${error.message}`,
      reference: `${context.record.id} failed`,
      mayExist: true,
    });
  } catch (reportError) {
    context.log.error({ err: reportError }, 'could not show the failure in Lever');
  }
}

function describe(action: Action): string {
  switch (action.type) {
    case 'assessment.send':
      return `send the assessment ${action.test}`;
    case 'lever.addTags':
      return `add the tags ${action.tags.join(', ')}`;
    case 'lever.removeTags':
      return `remove the tags ${action.tags.join(', ')}`;
    case 'lever.addLinks':
      return `add the link ${action.links.join(', ')}`;
    case 'lever.addNote':
      return 'add a note';
    case 'lever.moveStage':
      return `move the candidate to ${action.stage}`;
    case 'lever.archive':
      return 'archive the candidate';
    case 'invitation.cancel':
      return 'cancel the pending invitations';
    case 'candidate.purge':
      return 'purge the candidate';
  }
}
