import type { LeverClient } from '../lever/create-lever-client.js';

export interface LeverCache {
  /** The stage's name; the list is fetched once per tenant and again when an id is unknown. */
  stageName(client: LeverClient, tenant: string, stageId: string): Promise<string | null>;
  /** The posting's title, cached per tenant. */
  postingTitle(client: LeverClient, tenant: string, postingId: string): Promise<string | null>;
}

/** Stage names and posting titles change rarely and are read for every event: keep them. */
export function createLeverCache(): LeverCache {
  const stages = new Map<string, Map<string, string>>();
  const postings = new Map<string, string>();
  return {
    async stageName(client, tenant, stageId) {
      let known = stages.get(tenant);
      if (!known?.has(stageId)) {
        known = new Map((await client.listStages()).map((stage) => [stage.id, stage.text]));
        stages.set(tenant, known);
      }
      return known.get(stageId) ?? null;
    },
    async postingTitle(client, tenant, postingId) {
      const key = `${tenant}\0${postingId}`;
      let title = postings.get(key);
      if (title === undefined) {
        title = (await client.getPosting(postingId)).text;
        postings.set(key, title);
      }
      return title;
    },
  };
}
