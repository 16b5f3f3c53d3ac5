import { StagegateError } from '../../kernel/errors.js';
import { classifyFailure, withFailureClass } from '../../kernel/failure-class.js';
import type { LeverClient } from '../../lever/create-lever-client.js';
import type { Note } from '../../lever/types.js';

/**
 * Lever notes have no idempotency key, so every note stagegate adds ends with a line a recruiter can
 * read and a retry can find: `Sent by stagegate (reference <action id>)`. A second try (after a
 * timeout, a lost answer or a crash) first looks for that line among the candidate's notes and adds
 * the note only when it is not there: one GET on the rare path, none on the first try. So a note
 * Lever may have added (its call failed `in-doubt`) is safe to try again, as long as the next try
 * looks first: the error leaves here `retry-safe`, and callers pass `mayExist` on every later try.
 * Notes written before this wording (`— stagegate <action id>`) are still in Lever, and count.
 */
export function noteFooter(reference: string): string {
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
