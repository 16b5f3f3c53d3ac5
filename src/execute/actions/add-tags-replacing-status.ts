import type { LeverClient } from '../../lever/create-lever-client.js';

/**
 * Adds tags; when one of them is a status tag, the other status tags the candidate has now go, so
 * that the candidate ends with exactly one. "Now" is Lever's answer to the add (the opportunity
 * with its tags), not the decision's facts: a retry or a failure report may come long after the
 * decision, when another status tag has been added since. Added first, then removed, so the
 * candidate is never left without a status tag.
 */
export async function addTagsReplacingStatus(
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
