import { type Action, actionFields } from '../kernel/actions.js';

/**
 * Tidies the actions fired rules produced: lists are flattened and de-duplicated, blanks dropped,
 * a tag removed and then added again is not removed, and an action left with nothing to do goes.
 */
export function normalizeActions(raw: readonly Record<string, unknown>[]): Action[] {
  const actions = raw.map((action) => {
    const fields = actionFields[action.type as Action['type']];
    const out: Record<string, unknown> = { type: action.type };
    for (const [key, kind] of Object.entries(fields)) {
      const value = action[key];
      out[key] = kind === 'list' ? toList(value) : value === null || value === undefined ? '' : String(value);
    }
    return out as Action;
  });
  return actions
    .map((action, index) => {
      if (action.type !== 'lever.removeTags') return action;
      const addedLater = new Set(
        actions.slice(index + 1).flatMap((later) => (later.type === 'lever.addTags' ? later.tags : [])),
      );
      return { ...action, tags: action.tags.filter((tag) => !addedLater.has(tag)) };
    })
    .filter((action) => {
      const lists = Object.entries(actionFields[action.type]).filter(([, kind]) => kind === 'list');
      return lists.every(([key]) => ((action as unknown as Record<string, unknown[]>)[key] ?? []).length > 0);
    });
}

function toList(value: unknown): string[] {
  const flat = (Array.isArray(value) ? value.flat(2) : [value]).filter(
    (item): item is string | number =>
      (typeof item === 'string' && item.trim() !== '') || typeof item === 'number',
  );
  return [...new Set(flat.map(String))];
}
