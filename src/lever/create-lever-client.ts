import { StagegateError } from '../kernel/errors.js';
import {
  createLeverTransport,
  type LeverQuery,
  type LeverTransportOptions,
  type SendLeverRequest,
} from './create-lever-transport.js';
import type { ExpandedOpportunity, LeverWebhook, Note, Opportunity, Posting, Stage } from './types.js';

export interface LeverClientOptions extends LeverTransportOptions {
  /** A Lever user id sent as `perform_as` on writes, so they show as that user's in Lever. */
  performAs?: string;
}

export interface LeverClient {
  getOpportunity(opportunityId: string): Promise<ExpandedOpportunity>;
  /** Every opportunity in a stage, page after page, as one sequence. */
  listOpportunities(filter: { stageId: string }): AsyncIterable<Opportunity>;
  listStages(): Promise<Stage[]>;
  getPosting(postingId: string): Promise<Posting>;
  addTags(opportunityId: string, tags: readonly string[]): Promise<Opportunity>;
  removeTags(opportunityId: string, tags: readonly string[]): Promise<Opportunity>;
  addLinks(opportunityId: string, links: readonly string[]): Promise<Opportunity>;
  removeLinks(opportunityId: string, links: readonly string[]): Promise<Opportunity>;
  /** Resolves to the new note's id. Sent once: see `LeverRequest.once`. */
  addNote(opportunityId: string, text: string): Promise<string>;
  listNotes(opportunityId: string): Promise<Note[]>;
  moveStage(opportunityId: string, stageId: string): Promise<Opportunity>;
  archive(opportunityId: string, reasonId: string): Promise<Opportunity>;
  /** The Webhooks Subscription API (OAuth, webhooks:write:admin): the webhooks made through it. */
  listWebhooks(): Promise<LeverWebhook[]>;
  /** The answer carries the webhook's signature token, the one time Lever gives it. */
  createWebhook(webhook: { url: string; event: string }): Promise<LeverWebhook>;
  updateWebhook(id: string, webhook: { url: string; event: string }): Promise<LeverWebhook>;
  deleteWebhook(id: string): Promise<void>;
}

const PAGE_SIZE = '100';

/** The Lever REST calls stagegate makes, typed, each one through the shared transport. */
export function createLeverClient(options: LeverClientOptions): LeverClient {
  const send: SendLeverRequest = createLeverTransport(options);
  const writeQuery = options.performAs === undefined ? undefined : { perform_as: options.performAs };
  const webhookPath = (id: string) => `/webhooks/${encodeURIComponent(id)}`;
  const opportunityPath = (id: string, action = '') => `/opportunities/${encodeURIComponent(id)}${action}`;

  async function get<T>(path: string, query?: LeverQuery): Promise<T> {
    return (await send<T>({ method: 'GET', path, ...(query === undefined ? {} : { query }) })).data;
  }

  async function write<T>(method: 'POST' | 'PUT', path: string, body: unknown, once = false): Promise<T> {
    const query = writeQuery === undefined ? {} : { query: writeQuery };
    return (await send<T>({ method, path, body, ...query, ...(once ? { once } : {}) })).data;
  }

  async function* listAll<T>(path: string, filter: Record<string, string> = {}): AsyncGenerator<T> {
    let offset: string | undefined;
    // Every cursor asked with: one Lever hands out again would page round in circles, forever.
    const asked = new Set<string>();
    do {
      const query = { ...filter, limit: PAGE_SIZE, ...(offset === undefined ? {} : { offset }) };
      if (offset !== undefined) asked.add(offset);
      const page = await send<T[]>({ method: 'GET', path, query });
      yield* page.data;
      offset = page.hasNext === true ? page.next : undefined;
      if (page.hasNext === true && offset === undefined) {
        throw new StagegateError('LEVER_API', `Lever said GET ${path} has a next page but gave no cursor`, {
          details: { method: 'GET', path },
        });
      }
      if (offset !== undefined && asked.has(offset)) {
        throw new StagegateError(
          'LEVER_API',
          `Lever gave GET ${path} a next-page cursor it had given before: paging would never end`,
          { details: { method: 'GET', path } },
        );
      }
    } while (offset !== undefined);
  }

  return {
    // One field per parameter: Lever does not split a comma-joined `expand`, and expands nothing then.
    getOpportunity: (id) => get(opportunityPath(id), { expand: ['applications', 'stage', 'contact'] }),
    listOpportunities: ({ stageId }) => listAll<Opportunity>('/opportunities', { stage_id: stageId }),
    listStages: async () => {
      const stages: Stage[] = [];
      for await (const stage of listAll<Stage>('/stages')) stages.push(stage);
      return stages;
    },
    getPosting: (id) => get(`/postings/${encodeURIComponent(id)}`),
    addTags: (id, tags) => write('POST', opportunityPath(id, '/addTags'), { tags }),
    removeTags: (id, tags) => write('POST', opportunityPath(id, '/removeTags'), { tags }),
    addLinks: (id, links) => write('POST', opportunityPath(id, '/addLinks'), { links }),
    removeLinks: (id, links) => write('POST', opportunityPath(id, '/removeLinks'), { links }),
    addNote: async (id, text) =>
      (await write<{ noteId: string }>('POST', opportunityPath(id, '/notes'), { value: text }, true)).noteId,
    listNotes: async (id) => {
      const notes: Note[] = [];
      for await (const note of listAll<Note>(opportunityPath(id, '/notes'))) notes.push(note);
      return notes;
    },
    moveStage: (id, stageId) => write('PUT', opportunityPath(id, '/stage'), { stage: stageId }),
    archive: (id, reasonId) => write('PUT', opportunityPath(id, '/archived'), { reason: reasonId }),
    listWebhooks: async () => {
      const webhooks: LeverWebhook[] = [];
      for await (const webhook of listAll<LeverWebhook>('/webhooks')) webhooks.push(webhook);
      return webhooks;
    },
    // Not idempotent: a second create is a second webhook (and token). Connect lists first.
    createWebhook: async (webhook) =>
      (await send<LeverWebhook>({ method: 'POST', path: '/webhooks', body: webhook, once: true })).data,
    updateWebhook: async (id, webhook) =>
      (await send<LeverWebhook>({ method: 'PUT', path: webhookPath(id), body: webhook })).data,
    deleteWebhook: async (id) => {
      await send({ method: 'DELETE', path: webhookPath(id) });
    },
  };
}
