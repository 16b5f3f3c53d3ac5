import type { Action } from '../../kernel/actions.js';
import { StagegateError } from '../../kernel/errors.js';
import { classifyFailure, withFailureClass } from '../../kernel/failure-class.js';
import type { LeverClient } from '../../lever/create-lever-client.js';
import type { Note } from '../../lever/types.js';
import type { ActionHandler } from './run-action.js';

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

/**
 * Adds tags; when one of them is a status tag, the other status tags the candidate has now go, so
 * that the candidate ends with exactly one. "Now" is Lever's answer to the add (the opportunity
 * with its tags), not the decision's facts: a retry or a failure report may come long after the
 * decision, when another status tag has been added since. Added first, then removed, so the
 * candidate is never left without a status tag.
 */
async function addTagsReplacingStatus(
  lever: LeverClient,
  opportunityId: string,
  tags: readonly string[],
  statusTags: readonly string[],
): Promise<{ removed: string[] }> {
  const opportunity = await lever.addTags(opportunityId, tags);
  const added = tags.filter((tag) => statusTags.includes(tag));
  if (added.length === 0) return { removed: [] };
  const removed = opportunity.tags.filter((tag) => statusTags.includes(tag) && !added.includes(tag));
  if (removed.length > 0) await lever.removeTags(opportunityId, removed);
  return { removed };
}

/**
 * Lever notes have no idempotency key, so every note stagegate adds ends with a line a recruiter can
 * read and a retry can find: `Sent by stagegate (reference <action id>)`. A second try (after a
 * timeout, a lost answer or a crash) first looks for that line among the candidate's notes and adds
 * the note only when it is not there: one GET on the rare path, none on the first try. So a note
 * Lever may have added (its call failed `in-doubt`) is safe to try again, as long as the next try
 * looks first: the error leaves here `retry-safe`, and callers pass `mayExist` on every later try.
 * Notes written before this wording (`— stagegate <action id>`) are still in Lever, and count.
 */
function noteFooter(reference: string): string {
  return `Sent by stagegate (reference ${reference})`;
}

/** The footer of notes written before 2026-12: still recognised, never written. */
const legacyFooter = (reference: string) => `— stagegate ${reference}`;

export async function addNoteOnce(
  lever: LeverClient,
  opportunityId: string,
  note: { text: string; reference: string; mayExist: boolean },
): Promise<{ noteId: string; earlier?: true }> {
  const footer = noteFooter(note.reference);
  if (note.mayExist) {
    const footers = [footer, legacyFooter(note.reference)];
    const earlier = (await lever.listNotes(opportunityId)).find((found) =>
      textsOf(found).some((text) => text.split('\n').some((line) => footers.includes(line.trim()))),
    );
    if (earlier) return { noteId: earlier.id, earlier: true };
  }
  try {
    return { noteId: await lever.addNote(opportunityId, `${note.text}\n\n${footer}`) };
  } catch (error) {
    if (!(error instanceof StagegateError)) throw error;
    throw withFailureClass(error, classifyFailure(error, { idempotent: true }));
  }
}

function textsOf(note: Note): string[] {
  const values = (note.fields ?? []).map((field) => field.value);
  return [note.text, ...values].filter((text): text is string => typeof text === 'string');
}
