import type { TenantSnapshot } from '../config/types.js';
import { computeFacts } from '../enrich/compute-facts.js';
import type { FactInput, Facts, InvitationStatus } from '../kernel/facts.js';
import { isRecord } from '../kernel/json.js';
import { splitGivenFacts, withGatheredFacts } from './given-facts.js';
import type { FixtureCase } from './types.js';

export const defaultFixtureNow = Date.parse('2026-01-01T00:00:00Z');

/** A case's event, as a recruiter describes it or as Lever sent it, -> what enrichment would have gathered. */
export function buildFactInput(testCase: FixtureCase, index: number, now: number): FactInput {
  const friendly = testCase.event;
  const payload = testCase.payload;
  const type = friendly?.type ?? payload?.event ?? 'unknown';
  const data = payload?.data ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    event: {
      type: data && Object.keys(data).length === 0 && payload ? 'ping' : type,
      id: payload?.token ?? `case-${index + 1}`,
      triggeredAt: payload?.triggeredAt ?? now,
    },
    now,
    stage: { id: text(data.toStageId), name: friendly?.stage ?? null, fromName: friendly?.fromStage ?? null },
    candidate: {
      opportunityId: text(data.opportunityId) ?? 'opportunity-1',
      name: friendly?.name ?? 'Ada Lovelace',
      email: friendly?.email === undefined ? 'candidate@example.com' : friendly.email,
      tags: friendly?.tags ?? [],
      archived: friendly?.archived ?? type === 'candidateArchiveChange',
      postingTitle: friendly?.posting ?? null,
      postingNote: null,
      profileUrl: null,
    },
    invitations: (friendly?.invitations ?? []).map((invitation, i) => ({
      id: invitation.id ?? `invitation-${i + 1}`,
      test: invitation.test,
      status: invitation.status as InvitationStatus,
      sentAt: invitation.sentAt ? Date.parse(invitation.sentAt) : now - 86_400_000,
    })),
    ...(type === 'assessmentCompleted'
      ? {
          assessment: {
            invitationId: 'invitation-completed',
            test: friendly?.test ?? '',
            status: 'completed',
            score: friendly?.score ?? null,
            reportUrl: friendly?.reportUrl ?? null,
          },
        }
      : {}),
  };
}

/**
 * The facts a case (or `explain`) decides on. Given facts that enrichment gathers (stage.name,
 * candidate.tags, …) go into the input before facts are derived, so stage.isTrigger, selection and
 * the rest follow from them; given derived facts are then set over the computed ones, as given.
 */
export function factsForCase(
  tenant: TenantSnapshot,
  input: FactInput,
  given: Record<string, unknown> | undefined,
): Facts {
  const { gathered, derived } = splitGivenFacts(given);
  return mergeFacts(computeFacts(tenant, withGatheredFacts(input, gathered)), derived);
}

/** `override` set over `base`, field by field (a deep merge of mappings; lists and values replace). */
function mergeFacts<T>(base: T, override: Record<string, unknown> | undefined): T {
  if (!override) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isRecord(value) && isRecord(current) ? mergeFacts(current, value) : value;
  }
  return out as T;
}
