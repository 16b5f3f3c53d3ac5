import { StagegateError } from '../kernel/errors.js';
import type { FactInput, InvitationFact } from '../kernel/facts.js';
import { invitationIdOf } from '../kernel/invitation-id.js';
import type { LeverClient } from '../lever/create-lever-client.js';
import type { InboxItem, Store } from '../store/types.js';
import type { LeverCache } from './create-lever-cache.js';

/**
 * `stale`: the payload disagrees with what Lever says now (stage, archived). Lever's reads can lag its
 * webhooks, so the worker reads again for a while before it records the reason as a skip.
 */
export type Enrichment =
  | {
      input: FactInput;
      /**
       * Set when the Lever read was deferred (`deferLever`): the input with what Lever says about
       * the candidate, read when called. `input` then has only what the event and the store know
       * (the candidate's name and e-mail from the invitation); the facts that come from Lever
       * are the catalogue's `fromLever` (leverFactNames in src/kernel/facts.ts).
       */
      more?: () => Promise<FactInput>;
    }
  | { skip: string }
  | { stale: string };

interface LeverPayload {
  data?: {
    opportunityId?: unknown;
    toStageId?: unknown;
    fromStageId?: unknown;
    toArchived?: unknown;
    /** assessmentCompleted (from a vendor check, not from Lever) */
    invitationId?: unknown;
    test?: unknown;
    score?: unknown;
    reportUrl?: unknown;
  };
}

/**
 * Gathers what a decision needs about a delivery. Lever's signature does not cover `data`, so the
 * payload is only a hint: the candidate's stage, tags and e-mail come from Lever itself, and an
 * event whose payload disagrees with Lever is `stale` (read again, then skipped with the reason).
 */
export async function enrichDelivery(options: {
  item: InboxItem;
  lever: LeverClient;
  cache: LeverCache;
  store: Pick<Store, 'listInvitations' | 'listActions'>;
  now: number;
  /**
   * A completion reads the opportunity only when asked (`more`): most packs decide a result on the
   * assessment and the tenant's settings alone. Other events read it at once (a stage change's
   * stage must be checked against Lever's before anything is decided).
   */
  deferLever?: boolean;
}): Promise<Enrichment> {
  const { item, lever, cache, store, now } = options;
  const data = (item.payload as LeverPayload).data ?? {};
  const event = { type: item.event, id: item.token, triggeredAt: item.triggeredAt };
  if (item.opportunityId === null) return { skip: 'the delivery names no opportunity' };
  const opportunityId: string = item.opportunityId;

  const stored = await store.listInvitations({ tenant: item.tenant, opportunityId });
  const invitations: InvitationFact[] = stored.map((invitation) => ({
    id: invitation.id,
    test: invitation.test,
    status: invitation.status,
    sentAt: invitation.createdAt,
  }));
  // A send still waiting in the outbox is an invitation too, for the resend policy: otherwise two
  // quick moves into a trigger stage would both send.
  const known = new Set(invitations.map((invitation) => invitation.id));
  for (const record of await store.listActions({ tenant: item.tenant, opportunityId })) {
    const action = record.action as { type?: string; test?: string };
    if (action.type !== 'assessment.send' || (record.status !== 'pending' && record.status !== 'running'))
      continue;
    const id = invitationIdOf(record.id);
    if (!known.has(id))
      invitations.push({ id, test: action.test ?? '', status: 'sending', sentAt: record.createdAt });
  }
  const bare: FactInput['candidate'] = {
    opportunityId,
    name: null,
    email: null,
    tags: [],
    archived: false,
    postingTitle: null,
    postingNote: null,
    profileUrl: null,
  };
  if (item.event === 'candidateDeleted') {
    // The payload is unsigned: purge only once Lever confirms the opportunity is gone. Any other
    // failure of the read (429, 5xx, 401, 403) goes to the worker like any Lever failure.
    try {
      await lever.getOpportunity(opportunityId);
    } catch (error) {
      if (error instanceof StagegateError && error.details.status === 404) {
        return {
          input: {
            event,
            now,
            stage: { id: null, name: null, fromName: null },
            candidate: bare,
            invitations,
          },
        };
      }
      throw error;
    }
    return {
      skip: `Lever still has opportunity ${opportunityId}: a candidateDeleted whose payload Lever does not confirm is ignored`,
    };
  }

  const assessment =
    item.event === 'assessmentCompleted'
      ? {
          assessment: {
            invitationId: String(data.invitationId ?? ''),
            test: String(data.test ?? ''),
            status: 'completed',
            score: typeof data.score === 'number' ? data.score : null,
            reportUrl: typeof data.reportUrl === 'string' ? data.reportUrl : null,
          },
        }
      : {};
  if (options.deferLever === true && item.event === 'assessmentCompleted') {
    // Who the invitation went to is in the store; everything else about the candidate is Lever's.
    const sent = stored.find((invitation) => invitation.id === data.invitationId);
    const input: FactInput = {
      event,
      now,
      stage: { id: null, name: null, fromName: null },
      candidate: { ...bare, name: sent?.candidate?.name ?? null, email: sent?.candidate?.email ?? null },
      invitations,
      ...assessment,
    };
    const more = async () => {
      const read = await readOpportunity();
      if ('input' in read) return read.input;
      throw new StagegateError('LEVER_API', 'skip' in read ? read.skip : read.stale, {
        details: { failureClass: 'final' },
      });
    };
    return { input, more };
  }
  return readOpportunity();

  async function readOpportunity(): Promise<Enrichment> {
    let opportunity: Awaited<ReturnType<LeverClient['getOpportunity']>>;
    try {
      opportunity = await lever.getOpportunity(opportunityId);
    } catch (error) {
      if (error instanceof StagegateError && error.details.status === 404) {
        return { skip: `Lever has no opportunity ${opportunityId} (deleted since?)` };
      }
      throw error;
    }

    const stageId = opportunity.stage.id;
    if (
      item.event === 'candidateStageChange' &&
      typeof data.toStageId === 'string' &&
      data.toStageId !== stageId
    ) {
      return {
        stale: `the payload says stage ${data.toStageId} but Lever says ${stageId}: the candidate has moved since; the later event decides`,
      };
    }
    const archived = opportunity.archived !== null;
    if (
      item.event === 'candidateArchiveChange' &&
      'toArchived' in data &&
      (data.toArchived !== null) !== archived
    ) {
      return {
        stale: `the payload says archived=${data.toArchived !== null} but Lever says archived=${archived}`,
      };
    }
    const fromName =
      typeof data.fromStageId === 'string'
        ? await cache.stageName(lever, item.tenant, data.fromStageId)
        : null;
    const postingId = opportunity.applications.find((application) => application.posting)?.posting;
    const posting = postingId
      ? await cache.postingTitle(lever, item.tenant, postingId)
      : { title: null, note: null };
    return {
      input: {
        event,
        now,
        stage: { id: stageId, name: opportunity.stage.text, fromName },
        candidate: {
          opportunityId,
          name: opportunity.name,
          email: opportunity.emails[0] ?? opportunity.contact.emails?.[0] ?? null,
          tags: opportunity.tags,
          archived,
          postingTitle: posting.title,
          postingNote: posting.note,
          profileUrl: showUrl(opportunity),
        },
        invitations,
        ...assessment,
      },
    };
  }
}

/** The candidate's page in Lever as Lever gives it (`urls.show`), or null when it gives none. */
function showUrl(opportunity: { urls?: { show?: unknown } }): string | null {
  const show = opportunity.urls?.show;
  return typeof show === 'string' && /^https?:\/\//.test(show) ? show : null;
}
