/** The actions a decision can hold; `schemas/action.schema.json` describes the same shapes for editors. */
export type Action =
  | { type: 'assessment.send'; test: string; providerTestId: string }
  | { type: 'lever.addTags'; tags: string[] }
  | { type: 'lever.removeTags'; tags: string[] }
  | { type: 'lever.addLinks'; links: string[] }
  | { type: 'lever.addNote'; text: string }
  | { type: 'lever.moveStage'; stage: string }
  | { type: 'lever.archive'; reason: string }
  | { type: 'invitation.cancel'; invitationIds: string[] }
  | { type: 'candidate.purge' };

export type ActionType = Action['type'];

/** Each action's fields: whether it is required, and whether it holds a list. */
export const actionFields: { readonly [K in ActionType]: Readonly<Record<string, 'text' | 'list'>> } = {
  'assessment.send': { test: 'text', providerTestId: 'text' },
  'lever.addTags': { tags: 'list' },
  'lever.removeTags': { tags: 'list' },
  'lever.addLinks': { links: 'list' },
  'lever.addNote': { text: 'text' },
  'lever.moveStage': { stage: 'text' },
  'lever.archive': { reason: 'text' },
  'invitation.cancel': { invitationIds: 'list' },
  'candidate.purge': {},
};

export function isActionType(value: unknown): value is ActionType {
  return typeof value === 'string' && Object.hasOwn(actionFields, value);
}
