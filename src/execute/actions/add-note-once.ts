import type { LeverClient } from '../../lever/create-lever-client.js';
import type { Note } from '../../lever/types.js';

/**
 * Lever notes have no idempotency key, so every note stagegate adds ends with a line naming where
 * it came from (`— stagegate <action id>`). A second try (after a timeout, a lost answer or a
 * crash) first looks for that line among the candidate's notes and adds the note only when it is
 * not there: one GET on the rare path, none on the first try.
 */
export async function addNoteOnce(
  lever: LeverClient,
  opportunityId: string,
  note: { text: string; reference: string; mayExist: boolean },
): Promise<{ noteId: string; earlier?: true }> {
  const signature = `— stagegate ${note.reference}`;
  if (note.mayExist) {
    const earlier = (await lever.listNotes(opportunityId)).find((found) =>
      textsOf(found).some((text) => text.split('\n').includes(signature)),
    );
    if (earlier) return { noteId: earlier.id, earlier: true };
  }
  return { noteId: await lever.addNote(opportunityId, `${note.text}\n\n${signature}`) };
}

function textsOf(note: Note): string[] {
  const values = (note.fields ?? []).map((field) => field.value);
  return [note.text, ...values].filter((text): text is string => typeof text === 'string');
}
