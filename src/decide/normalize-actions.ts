import { type Action, type ActionType, actionFields } from '../kernel/actions.js';

// Each type's fields, split once: this runs for every decision.
const fieldsOf = Object.fromEntries(
  Object.entries(actionFields).map(([type, fields]) => {
    const entries = Object.entries(fields);
    return [type, { all: entries, lists: entries.filter(([, kind]) => kind === 'list').map(([key]) => key) }];
  }),
) as Record<ActionType, { all: [string, 'text' | 'list'][]; lists: string[] }>;

/**
 * Tidies the actions fired rules produced: lists are flattened and de-duplicated, blanks dropped,
 * a tag removed and then added again is not removed, and an action left with nothing to do goes.
 */
export function normalizeActions(raw: readonly Record<string, unknown>[]): Action[] {
  const actions: Record<string, unknown>[] = [];
  for (const action of raw) {
    const out: Record<string, unknown> = { type: action.type };
    for (const [key, kind] of fieldsOf[action.type as ActionType].all) {
      const value = action[key];
      out[key] = kind === 'list' ? toList(value) : value === null || value === undefined ? '' : String(value);
    }
    actions.push(out);
  }
  const kept: Action[] = [];
  for (const [index, action] of actions.entries()) {
    if (action.type === 'lever.removeTags') {
      const addedLater = new Set<string>();
      for (const later of actions.slice(index + 1)) {
        if (later.type === 'lever.addTags') for (const tag of later.tags as string[]) addedLater.add(tag);
      }
      action.tags = (action.tags as string[]).filter((tag) => !addedLater.has(tag));
    }
    if (fieldsOf[action.type as ActionType].lists.every((key) => (action[key] as unknown[]).length > 0)) {
      kept.push(action as Action);
    }
  }
  return kept;
}

function toList(value: unknown): string[] {
  const out = new Set<string>();
  const add = (item: unknown) => {
    if (Array.isArray(item)) for (const inner of item) add(inner);
    else if ((typeof item === 'string' && item.trim() !== '') || typeof item === 'number')
      out.add(String(item));
  };
  add(value);
  return [...out];
}
