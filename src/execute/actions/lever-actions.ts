import type { Action } from '../../kernel/actions.js';
import { StagegateError } from '../../kernel/errors.js';
import type { ActionHandler } from '../types.js';
import { addNoteOnce } from './add-note-once.js';
import { addTagsReplacingStatus } from './add-tags-replacing-status.js';

type Of<T extends Action['type']> = Extract<Action, { type: T }>;

/**
 * Lever writes: each goes through the tenant's Lever client (shared rate limit, timeouts, retries).
 * An added status tag replaces the status tags the candidate has by then (addTagsReplacingStatus).
 */
export const addTags: ActionHandler<Of<'lever.addTags'>> = async (action, { lever, record, decision }) => {
  const { removed } = await addTagsReplacingStatus(
    lever,
    opportunityOf(record.opportunityId),
    action.tags,
    // Facts a decision was recorded without (a hand-made one) name no status tags.
    decision.facts.statusTags?.all ?? [],
  );
  return { tags: action.tags, ...(removed.length > 0 ? { removed } : {}) };
};

export const removeTags: ActionHandler<Of<'lever.removeTags'>> = async (action, { lever, record }) => {
  await lever.removeTags(opportunityOf(record.opportunityId), action.tags);
  return { tags: action.tags };
};

export const addLinks: ActionHandler<Of<'lever.addLinks'>> = async (action, { lever, record }) => {
  await lever.addLinks(opportunityOf(record.opportunityId), action.links);
  return { links: action.links };
};

export const addNote: ActionHandler<Of<'lever.addNote'>> = async (action, { lever, record }) =>
  addNoteOnce(lever, opportunityOf(record.opportunityId), {
    text: action.text,
    reference: record.id,
    // Any earlier try (counted, or reset by an operator's retry, which keeps its last error) may have added it.
    mayExist: record.attempts > 0 || record.lastError !== undefined,
  });

export const moveStage: ActionHandler<Of<'lever.moveStage'>> = async (action, { lever, record }) => {
  const stage = (await lever.listStages()).find((s) => s.text.toLowerCase() === action.stage.toLowerCase());
  if (!stage) {
    throw new StagegateError('LEVER_API', `Lever has no stage named '${action.stage}'`, {
      details: { failureClass: 'final' },
    });
  }
  await lever.moveStage(opportunityOf(record.opportunityId), stage.id);
  return { stageId: stage.id };
};

export const archive: ActionHandler<Of<'lever.archive'>> = async (action, { lever, record }) => {
  await lever.archive(opportunityOf(record.opportunityId), action.reason);
  return { reason: action.reason };
};

function opportunityOf(id: string | null): string {
  if (id === null)
    throw new StagegateError('INTERNAL', 'the action has no opportunity', {
      details: { failureClass: 'final' },
    });
  return id;
}
