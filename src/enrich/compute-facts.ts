import type { TenantSnapshot } from '../config/types.js';
import type { FactInput, Facts } from '../kernel/facts.js';
import { checkResend } from './check-resend.js';
import { selectTest } from './select-test.js';

const pendingStatuses: ReadonlySet<string> = new Set(['sending', 'sent', 'started']);

/** Derives the facts rules read. Pure: the same input gives the same facts. */
export function computeFacts(tenant: TenantSnapshot, input: FactInput): Facts {
  const { settings } = tenant;
  const prefix = settings.tagPrefix;
  const statusTags = {
    sent: `${prefix} - Sent`,
    needsReview: `${prefix} - Needs Review`,
    pass: `${prefix} - Pass`,
    fail: `${prefix} - Fail`,
    error: `${prefix} - Error`,
  };
  const allStatusTags = Object.values(statusTags);
  const trigger = settings.triggers.find(
    (t) => t.stage.toLowerCase() === (input.stage.name ?? '').toLowerCase(),
  );
  const tags = [...input.candidate.tags];
  const catalog = Object.keys(settings.tests).map((test) => test.toLowerCase());
  const selection = selectTest(settings, {
    tags,
    postingTitle: input.candidate.postingTitle,
    postingNote: input.candidate.postingNote,
    stageDefault: trigger?.defaultTest ?? null,
    stageName: input.stage.name,
  });
  const assessment = input.assessment;
  const reportUrl = assessment?.reportUrl?.trim() ? assessment.reportUrl : null;
  const pending = input.invitations.filter((invitation) => pendingStatuses.has(invitation.status));
  return {
    event: { ...input.event },
    tenant: { id: tenant.id, displayName: settings.displayName },
    stage: {
      id: input.stage.id,
      name: input.stage.name,
      isTrigger: trigger !== undefined,
      defaultTest: trigger?.defaultTest ?? null,
      fromName: input.stage.fromName,
    },
    candidate: {
      opportunityId: input.candidate.opportunityId,
      name: input.candidate.name,
      email: input.candidate.email,
      hasEmail: input.candidate.email?.includes('@') === true,
      tags,
      testTags: tags.filter((tag) => catalog.includes(tag.trim().toLowerCase())),
      statusTags: tags.filter((tag) => allStatusTags.includes(tag)),
      archived: input.candidate.archived,
      postingTitle: input.candidate.postingTitle,
      postingNote: input.candidate.postingNote,
      profileUrl: input.candidate.profileUrl,
    },
    selection,
    invitations: {
      all: input.invitations.map((invitation) => ({ ...invitation })),
      pending: pending.map((invitation) => invitation.id),
      pendingCount: pending.length,
      forSelectedTest: input.invitations.filter((invitation) => invitation.test === selection.test).length,
    },
    resend: checkResend(settings.resend, input.invitations, selection.test, input.now),
    assessment: {
      invitationId: assessment?.invitationId ?? null,
      test: assessment?.test ?? null,
      status: assessment?.status ?? null,
      score: assessment?.score ?? null,
      hasScore: typeof assessment?.score === 'number',
      scoreText: typeof assessment?.score === 'number' ? String(assessment.score) : 'not reported',
      reportUrl,
    },
    scoring: { ...settings.scoring },
    statusTags: { ...statusTags, all: allStatusTags },
    options: { ...settings.options },
    failure: { actionId: null, action: null, subject: null, reason: null, class: null },
  };
}
