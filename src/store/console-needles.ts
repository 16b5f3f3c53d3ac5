/**
 * What the console's week counts (Store.countActivity) search a decision record's JSON text for, so
 * that SQLite and PostgreSQL need not parse a large record (facts, the trace) to count it. Records
 * are written by JSON.stringify, and an action's keys come in normalizeActions' order, `type` first,
 * so each needle appears exactly where it is meant:
 * - a send: an action `{"type":"assessment.send", …}` (facts and traces hold no such object);
 * - a completion: the decision's event `{"type":"assessmentCompleted", …}`;
 * - a tag added: an action `{"type":"lever.addTags","tags":["<tag>", …]}` whose first tag it is, as
 *   the shipped pack adds a status tag, alone; the facts' `statusTags` never match, they are keyed.
 */
export function activityNeedles(tags: readonly string[]): {
  send: string;
  completed: string;
  tags: string[];
} {
  return {
    send: '{"type":"assessment.send"',
    completed: '"event":{"type":"assessmentCompleted"',
    tags: tags.map((tag) => `{"type":"lever.addTags","tags":[${JSON.stringify(tag)}`),
  };
}
