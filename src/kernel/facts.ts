import type { FailureClass } from './failure-class.js';

/**
 * The facts a decision is made on: computed by enrich (from Lever and the store), read by rules.
 * The catalog lists each fact's fields so that the loader can check every `fact:` a rule names.
 */
export type InvitationStatus = 'sending' | 'sent' | 'started' | 'completed' | 'cancelled' | 'failed';

export interface InvitationFact {
  id: string;
  test: string;
  status: InvitationStatus;
  sentAt: number;
}

export interface Facts {
  event: { type: string; id: string; triggeredAt: number };
  tenant: { id: string; displayName: string };
  stage: {
    id: string | null;
    name: string | null;
    isTrigger: boolean;
    defaultTest: string | null;
    fromName: string | null;
  };
  candidate: {
    opportunityId: string | null;
    name: string | null;
    email: string | null;
    hasEmail: boolean;
    tags: string[];
    testTags: string[];
    statusTags: string[];
    archived: boolean;
    postingTitle: string | null;
    /** Why there is no posting title: Lever would not return the posting (404, 403). Null otherwise. */
    postingNote: string | null;
    /** The candidate's page in Lever (the opportunity's `urls.show`); null when Lever gave none. */
    profileUrl: string | null;
  };
  selection: {
    test: string | null;
    providerTestId: string | null;
    source: 'candidateTag' | 'posting' | 'stageDefault' | null;
    held: boolean;
    conflictingTags: string[];
    reason: string;
  };
  invitations: { all: InvitationFact[]; pending: string[]; pendingCount: number; forSelectedTest: number };
  resend: { isResend: boolean; allowed: boolean; reason: string };
  assessment: {
    invitationId: string | null;
    test: string | null;
    status: string | null;
    score: number | null;
    hasScore: boolean;
    scoreText: string;
    /** null when the vendor gave no report link (or a blank one). */
    reportUrl: string | null;
  };
  scoring: { pass: number | null; fail: number | null };
  statusTags: { sent: string; needsReview: string; pass: string; fail: string; error: string; all: string[] };
  options: Record<string, string | number | boolean>;
  /**
   * What failed, on an `actionFailed` event (an action dead-lettered: final, in doubt, or out of
   * retries); all null on other events. `subject` is what the action was about, as text: the test
   * of a send, the tags, links or stage.
   */
  failure: {
    actionId: string | null;
    action: string | null;
    subject: string | null;
    reason: string | null;
    class: FailureClass | null;
  };
}

/** What the catalogue says of each field of a fact: '' or a few words for the docs. */
type FieldDocs<T> = { readonly [F in keyof T]-?: string };

export interface FactEntry<T> {
  /** Its fields, each with its description ('' for none); null for a free-form fact (any field). */
  readonly fields: FieldDocs<T> | null;
  /** Said of the whole fact, after its fields, in the docs. */
  readonly about?: string;
  /**
   * Derived from the opportunity Lever gives (`true`: every field; or the fields that are): fetched
   * for a completion only when a rule reads one (src/decide/decide.ts, deferred facts).
   */
  readonly fromLever?: true | readonly (keyof T & string)[];
}

/**
 * The fact catalogue: every fact and field, with what the docs say of it. The loader checks each
 * `fact:` a rule names against it (factCatalog); the README's fact table is generated from it
 * (factTable; test/unit/kernel/fact-catalogue.test.ts keeps them in step); the facts fetched on demand
 * come from its `fromLever`. The mapped types make it list exactly the fields of `Facts`.
 */
export const factCatalogue: {
  readonly [K in keyof Facts]: FactEntry<Facts[K]> & (K extends 'options' ? { fields: null } : unknown);
} = {
  event: {
    fields: {
      type: `${['candidateStageChange', 'candidateArchiveChange', 'candidateHired', 'candidateDeleted', 'assessmentCompleted', 'actionFailed', 'ping'].join(', ')}, …`,
      id: '',
      triggeredAt: '',
    },
  },
  tenant: { fields: { id: '', displayName: '' } },
  stage: {
    fields: { id: '', name: '', isTrigger: '', defaultTest: '', fromName: '' },
    fromLever: true,
  },
  candidate: {
    fields: {
      opportunityId: '',
      name: '',
      email: '',
      hasEmail: '',
      tags: '',
      testTags: '',
      statusTags: "the tenant's status tags on the candidate",
      archived: '',
      postingTitle: '',
      postingNote: 'why there is no title although the candidate has a posting: Lever would not return it',
      profileUrl: "the candidate's page in Lever, the opportunity's `urls.show`; null when Lever gave none",
    },
    fromLever: true,
  },
  selection: {
    fields: {
      test: '',
      providerTestId: '',
      source: 'candidateTag / posting / stageDefault',
      held: '',
      conflictingTags: '',
      reason: '',
    },
    fromLever: true,
  },
  invitations: {
    fields: { all: '', pending: 'ids', pendingCount: '', forSelectedTest: '' },
    fromLever: ['forSelectedTest'],
  },
  resend: {
    fields: { isResend: '', allowed: '', reason: '' },
    about: "from the tenant's resend policy and earlier invitations",
    fromLever: true,
  },
  assessment: {
    fields: {
      invitationId: '',
      test: '',
      status: '',
      score: '',
      hasScore: '',
      scoreText: '',
      reportUrl: 'null when the vendor gave none',
    },
  },
  scoring: { fields: { pass: '', fail: '' } },
  statusTags: { fields: { sent: '', needsReview: '', pass: '', fail: '', error: '', all: '' } },
  options: { fields: null, about: "the tenant's `options:`" },
  failure: {
    fields: {
      actionId: '',
      action: 'its type',
      subject: 'the test, tags, links or stage it was about',
      reason: '',
      class: 'final / in-doubt / retry-safe',
    },
    about: 'on `actionFailed` only; null otherwise',
  },
};

/** The catalogue's entries, read without their per-fact types. */
const entries = Object.entries(
  factCatalogue as unknown as Record<
    string,
    { fields: Record<string, string> | null; about?: string; fromLever?: true | readonly string[] }
  >,
);

/** Fact name -> its fields (null: free-form, any field), from the catalogue. */
export const factCatalog = Object.fromEntries(
  entries.map(([name, entry]) => [name, entry.fields === null ? null : Object.keys(entry.fields)]),
) as { readonly [K in keyof Facts]: readonly string[] | null };

/**
 * The facts (names as rules write them: `candidate`, `invitations.forSelectedTest`) derived from
 * Lever's opportunity, from the catalogue's `fromLever`.
 */
export const leverFactNames: readonly string[] = entries.flatMap(([name, entry]) =>
  entry.fromLever === true ? [name] : (entry.fromLever ?? []).map((field) => `${name}.${field}`),
);

/** The README's fact table (the section "Rules", **Facts**), as markdown lines. */
export function factTable(): string[] {
  const rows = entries.map(([name, entry]) => {
    const fields =
      entry.fields === null
        ? []
        : Object.entries(entry.fields).map(([field, about]) =>
            about === '' ? `\`${field}\`` : `\`${field}\` (${about})`,
          );
    const text =
      fields.length === 0
        ? (entry.about ?? '')
        : `${fields.join(', ')}${entry.about ? ` — ${entry.about}` : ''}`;
    const lever =
      entry.fromLever === true
        ? 'yes'
        : entry.fromLever === undefined
          ? ''
          : entry.fromLever.map((field) => `\`${field}\``).join(', ');
    return `| \`${name}\` | ${text} | ${lever} |`;
  });
  return [
    '| fact | fields | from Lever (fetched on demand for a completion) |',
    '| --- | --- | --- |',
    ...rows,
  ];
}

/** The events a decision can be about: Lever's webhooks, plus completions reported by a vendor. */
export const knownEventTypes = [
  'candidateStageChange',
  'candidateArchiveChange',
  'candidateHired',
  'candidateDeleted',
  'applicationCreated',
  'assessmentCompleted',
  'ping',
] as const;

/** The event the executor decides on when an action fails for good (not one of Lever's). */
export const actionFailedEvent = 'actionFailed';
