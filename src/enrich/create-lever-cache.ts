import { StagegateError } from '../kernel/errors.js';
import type { LeverClient } from '../lever/create-lever-client.js';

/**
 * A posting's title, or, when Lever will not return the posting (404: deleted; 403: confidential,
 * or not visible to this key), no title and the note that says so: selection then goes on as for a
 * candidate without a posting.
 */
export type PostingTitle = { title: string; note: null } | { title: null; note: string };

export interface LeverCache {
  /** The stage's name; the list is fetched once per tenant and again when an id is unknown. */
  stageName(client: LeverClient, tenant: string, stageId: string): Promise<string | null>;
  /**
   * The posting's title, cached per tenant. A posting that cannot be read is not cached: it may be
   * readable later (made public, or the key given access). Other failures (429, 5xx, unreachable,
   * 401) are thrown for the worker to retry or report.
   */
  postingTitle(client: LeverClient, tenant: string, postingId: string): Promise<PostingTitle>;
}

const unreadable: Record<number, string> = { 403: '403: confidential?', 404: '404: deleted?' };

/** Stage names and posting titles change rarely and are read for every event: keep them. */
export function createLeverCache(): LeverCache {
  const stages = new Map<string, Map<string, string>>();
  const postings = new Map<string, string>();
  /** A tenant's stage list being fetched: events arriving together wait for the one fetch. */
  const fetching = new Map<string, Promise<Map<string, string>>>();
  const fetchStages = (client: LeverClient, tenant: string) => {
    let pending = fetching.get(tenant);
    if (pending === undefined) {
      pending = client
        .listStages()
        .then((list) => {
          const known = new Map(list.map((stage) => [stage.id, stage.text]));
          stages.set(tenant, known);
          return known;
        })
        .finally(() => fetching.delete(tenant));
      fetching.set(tenant, pending);
    }
    return pending;
  };
  return {
    async stageName(client, tenant, stageId) {
      let known = stages.get(tenant);
      if (known?.has(stageId)) return known.get(stageId) ?? null;
      const joined = fetching.has(tenant);
      known = await fetchStages(client, tenant);
      // A fetch joined may have started before the stage was made: an unknown id asks once more.
      if (joined && !known.has(stageId)) known = await fetchStages(client, tenant);
      return known.get(stageId) ?? null;
    },
    async postingTitle(client, tenant, postingId) {
      const key = `${tenant}\0${postingId}`;
      const known = postings.get(key);
      if (known !== undefined) return { title: known, note: null };
      try {
        const { text } = await client.getPosting(postingId);
        postings.set(key, text);
        return { title: text, note: null };
      } catch (error) {
        const status = error instanceof StagegateError ? error.details.status : undefined;
        const why = typeof status === 'number' ? unreadable[status] : undefined;
        if (why === undefined) throw error;
        return {
          title: null,
          note: `posting ${postingId} could not be read (${why}): treated as no posting`,
        };
      }
    },
  };
}
