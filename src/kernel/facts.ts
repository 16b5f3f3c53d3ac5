import { failureClasses } from './failure-class.js';
import { isRecord } from './json.js';

/**
 * The fact catalogue: every fact a rule can read, each field with its kind, an example and a few
 * words for the docs. It is the one description of the facts' shape; from it come
 * - the `Facts` type rules read and the `FactInput` type enrichment gathers (below, by mapped types);
 * - the loader's check of every `fact:` a rule names (factCatalog, src/config/compile-rule.ts);
 * - the check of facts a test case or `explain --facts` gives (givenFieldKind, src/rule-test);
 * - the README's fact table and schemas/facts.schema.json, for editors (factTable, factsSchema;
 *   `node --import tsx scripts/fact-catalogue.ts --write`, kept in step by a test);
 * - the facts a completion fetches from Lever only when a rule reads one (leverFactNames).
 */

/** The statuses an invitation passes through in the store. */
export const invitationStatuses = ['sending', 'sent', 'started', 'completed', 'cancelled', 'failed'] as const;
export type InvitationStatus = (typeof invitationStatuses)[number];

export interface InvitationFact {
  id: string;
  test: string;
  status: InvitationStatus;
  sentAt: number;
}

/** What a field holds. `text?`: text or null. `oneOf`: one of the words (or null, with `orNull`). */
export type FieldKind =
  | 'text'
  | 'text?'
  | 'number'
  | 'number?'
  | 'boolean'
  | 'texts'
  | 'invitations'
  | { readonly oneOf: readonly string[]; readonly orNull?: boolean };

export interface FieldEntry {
  readonly kind: FieldKind;
  /** A few words for the docs and editors; none when the name says it. */
  readonly about?: string;
  /**
   * Gathered by enrichment (from the webhook, Lever or the store) rather than derived, and so part of
   * the fact input: `true` in this field's kind, or the kind the input has. A test case may give it.
   */
  readonly gathered?: true | FieldKind;
  /** A value, for the docs and editors' completion (fits the kind: a test checks). */
  readonly example: unknown;
}

export interface FactEntry {
  /** Its fields; null for a free-form fact (any field). */
  readonly fields: { readonly [field: string]: FieldEntry } | null;
  /** Said of the whole fact, after its fields, in the docs. */
  readonly about?: string;
  /**
   * Derived from the opportunity Lever gives (`true`: every field; or the fields that are): fetched
   * for a completion only when a rule reads one (src/decide/decide.ts, deferred facts).
   */
  readonly fromLever?: true | readonly string[];
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

export const factCatalogue = {
  event: {
    fields: {
      type: {
        kind: 'text',
        about: `${[...knownEventTypes, actionFailedEvent].join(', ')}`,
        gathered: true,
        example: 'candidateStageChange',
      },
      id: { kind: 'text', gathered: true, example: 'evt-1' },
      triggeredAt: { kind: 'number', about: 'ms since 1970', gathered: true, example: 1_767_225_600_000 },
    },
  },
  tenant: {
    fields: {
      id: { kind: 'text', example: 'acme' },
      displayName: { kind: 'text', example: 'Acme Corp' },
    },
  },
  stage: {
    fields: {
      id: { kind: 'text?', gathered: true, example: 'stage-onsite' },
      name: { kind: 'text?', gathered: true, example: 'Technical Screen' },
      isTrigger: { kind: 'boolean', example: true },
      defaultTest: { kind: 'text?', example: 'backend' },
      fromName: { kind: 'text?', about: 'the stage it came from', gathered: true, example: 'Phone Screen' },
    },
    fromLever: true,
  },
  candidate: {
    fields: {
      opportunityId: { kind: 'text?', gathered: true, example: 'opp-1' },
      name: { kind: 'text?', gathered: true, example: 'Ada Lovelace' },
      email: { kind: 'text?', gathered: true, example: 'ada@example.com' },
      hasEmail: { kind: 'boolean', example: true },
      tags: { kind: 'texts', gathered: true, example: ['Frontend - React'] },
      testTags: { kind: 'texts', about: 'the tags that name a test', example: ['Frontend - React'] },
      statusTags: {
        kind: 'texts',
        about: "the tenant's status tags on the candidate",
        example: ['Hired Assessments - Sent'],
      },
      archived: { kind: 'boolean', gathered: true, example: false },
      postingTitle: { kind: 'text?', gathered: true, example: 'Backend Engineer' },
      postingNote: {
        kind: 'text?',
        about: 'why there is no title although the candidate has a posting: Lever would not return it',
        gathered: true,
        example: null,
      },
      profileUrl: {
        kind: 'text?',
        about: "the candidate's page in Lever, the opportunity's `urls.show`; null when Lever gave none",
        gathered: true,
        example: 'https://hire.lever.co/candidates/opp-1',
      },
    },
    fromLever: true,
  },
  selection: {
    fields: {
      test: { kind: 'text?', example: 'backend' },
      providerTestId: { kind: 'text?', example: 'gh-test-42' },
      source: {
        kind: { oneOf: ['candidateTag', 'posting', 'stageDefault'], orNull: true },
        example: 'stageDefault',
      },
      held: {
        kind: 'boolean',
        about: 'several tags name a test and the tenant holds then: none is sent',
        example: false,
      },
      conflictingTags: { kind: 'texts', about: 'the tags, when held', example: [] },
      reason: { kind: 'text', example: 'the default test of Technical Screen' },
    },
    fromLever: true,
  },
  invitations: {
    fields: {
      all: {
        kind: 'invitations',
        about: 'each `{ id, test, status, sentAt }`, from the store',
        gathered: true,
        example: [{ id: 'invitation-1', test: 'backend', status: 'sent', sentAt: 1_767_225_600_000 }],
      },
      pending: { kind: 'texts', about: 'ids', example: ['invitation-1'] },
      pendingCount: { kind: 'number', example: 1 },
      forSelectedTest: { kind: 'number', example: 0 },
    },
    fromLever: ['forSelectedTest'],
  },
  resend: {
    fields: {
      isResend: { kind: 'boolean', example: false },
      allowed: { kind: 'boolean', example: true },
      reason: { kind: 'text', example: 'first invitation for this test' },
    },
    about: "from the tenant's resend policy and earlier invitations",
    fromLever: true,
  },
  assessment: {
    fields: {
      invitationId: { kind: 'text?', gathered: 'text', example: 'invitation-1' },
      test: { kind: 'text?', gathered: 'text', example: 'backend' },
      status: { kind: 'text?', gathered: 'text', example: 'completed' },
      score: { kind: 'number?', gathered: true, example: 82 },
      hasScore: { kind: 'boolean', example: true },
      scoreText: { kind: 'text', example: '82' },
      reportUrl: {
        kind: 'text?',
        about: 'null when the vendor gave none',
        gathered: true,
        example: 'https://vendor.example/r/1',
      },
    },
  },
  scoring: {
    fields: {
      pass: { kind: 'number?', example: 70 },
      fail: { kind: 'number?', example: 40 },
    },
  },
  statusTags: {
    fields: {
      sent: { kind: 'text', example: 'Hired Assessments - Sent' },
      needsReview: { kind: 'text', example: 'Hired Assessments - Needs Review' },
      pass: { kind: 'text', example: 'Hired Assessments - Pass' },
      fail: { kind: 'text', example: 'Hired Assessments - Fail' },
      error: { kind: 'text', example: 'Hired Assessments - Error' },
      all: { kind: 'texts', example: ['Hired Assessments - Sent', 'Hired Assessments - Pass'] },
    },
  },
  options: { fields: null, about: "the tenant's `options:`" },
  failure: {
    fields: {
      actionId: { kind: 'text?', example: 'action-1' },
      action: { kind: 'text?', about: 'its type', example: 'assessment.send' },
      subject: { kind: 'text?', about: 'the test, tags, links or stage it was about', example: 'backend' },
      reason: { kind: 'text?', example: 'the vendor refused the test id' },
      class: { kind: { oneOf: failureClasses, orNull: true }, example: 'final' },
    },
    about: 'on `actionFailed` only; null otherwise',
  },
} as const satisfies Record<string, FactEntry>;

type Catalogue = typeof factCatalogue;

/** The value a field of this kind holds; `Input` for the fact input (lists read-only). */
type KindValue<K, Input extends boolean = false> = K extends 'text'
  ? string
  : K extends 'text?'
    ? string | null
    : K extends 'number'
      ? number
      : K extends 'number?'
        ? number | null
        : K extends 'boolean'
          ? boolean
          : K extends 'texts'
            ? Input extends true
              ? readonly string[]
              : string[]
            : K extends 'invitations'
              ? InvitationFact[]
              : K extends { readonly oneOf: readonly (infer W)[]; readonly orNull: true }
                ? W | null
                : K extends { readonly oneOf: readonly (infer W)[] }
                  ? W
                  : never;

type FieldsOf<F> = F extends { readonly fields: infer Fields } ? Fields : never;

/** The facts a decision is made on: computed by enrich (src/enrich/compute-facts.ts), read by rules. */
export type Facts = {
  -readonly [Name in keyof Catalogue]: FieldsOf<Catalogue[Name]> extends null
    ? Record<string, string | number | boolean>
    : {
        -readonly [Field in keyof FieldsOf<Catalogue[Name]>]: FieldsOf<Catalogue[Name]>[Field] extends {
          readonly kind: infer K;
        }
          ? KindValue<K>
          : never;
      };
};

/** A fact's gathered fields, in the kind the input has them. */
type Gathered<Name extends keyof Catalogue> = {
  -readonly [Field in keyof FieldsOf<Catalogue[Name]> as FieldsOf<Catalogue[Name]>[Field] extends {
    readonly gathered: unknown;
  }
    ? Field
    : never]: FieldsOf<Catalogue[Name]>[Field] extends { readonly gathered: infer G; readonly kind: infer K }
    ? KindValue<G extends true ? K : G, true>
    : never;
};

/**
 * What enrichment gathers from the webhook, Lever and the store, from which computeFacts derives the
 * rest: each fact's gathered fields, the earlier invitations (`invitations.all`), the assessment on
 * a completion only, and the time of the decision.
 */
export interface FactInput {
  event: Gathered<'event'>;
  now: number;
  stage: Gathered<'stage'>;
  candidate: Gathered<'candidate'>;
  invitations: readonly InvitationFact[];
  assessment?: Gathered<'assessment'>;
}

/** The facts with a gathered field: FactInput lists each (a test keeps them in step). */
export type GatheredFactName = {
  [Name in keyof Catalogue]: keyof Gathered<Name> extends never ? never : Name;
}[keyof Catalogue];

/** The catalogue's entries, read without their per-fact types. */
const entries = Object.entries(factCatalogue as Record<string, FactEntry>);

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

function fieldEntry(fact: string, field: string): FieldEntry | undefined {
  if (!Object.hasOwn(factCatalogue, fact)) return undefined;
  const fields = (factCatalogue as Record<string, FactEntry>)[fact]?.fields;
  return fields && Object.hasOwn(fields, field) ? fields[field] : undefined;
}

/**
 * The kind a field has when a test case gives it: a gathered field in the kind the input has it
 * (it feeds the derived facts), a derived one in its own; undefined for no such field (or `options`).
 */
export function givenFieldKind(
  fact: string,
  field: string,
): { kind: FieldKind; gathered: boolean } | undefined {
  const entry = fieldEntry(fact, field);
  if (entry === undefined) return undefined;
  if (entry.gathered === undefined) return { kind: entry.kind, gathered: false };
  return { kind: entry.gathered === true ? entry.kind : entry.gathered, gathered: true };
}

/** Whether a value is of the kind. */
export function fitsKind(kind: FieldKind, value: unknown): boolean {
  if (typeof kind === 'object')
    return (kind.orNull === true && value === null) || kind.oneOf.includes(value as string);
  switch (kind) {
    case 'text':
      return typeof value === 'string';
    case 'text?':
      return value === null || typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'number?':
      return value === null || typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'texts':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'invitations':
      return Array.isArray(value) && value.every(isInvitation);
  }
}

/**
 * An invitation as a test case gives one: `{ test, status, id?, sentAt? }`, `sentAt` in ms or as a
 * date; the missing parts are filled in (src/rule-test/given-facts.ts).
 */
export const invitationForm = `{ test, status, id?, sentAt? } with status one of ${invitationStatuses.join(', ')}`;

function isInvitation(item: unknown): boolean {
  return (
    isRecord(item) &&
    typeof item.test === 'string' &&
    invitationStatuses.includes(item.status as InvitationStatus) &&
    (item.id === undefined || typeof item.id === 'string') &&
    (item.sentAt === undefined ||
      typeof item.sentAt === 'number' ||
      (typeof item.sentAt === 'string' && !Number.isNaN(Date.parse(item.sentAt))))
  );
}

/** The kind in words, as a message or the docs say it: "text or null". */
export function kindWords(kind: FieldKind): string {
  if (typeof kind === 'object') return `one of ${kind.oneOf.join(' / ')}${kind.orNull ? ', or null' : ''}`;
  return {
    text: 'text',
    'text?': 'text or null',
    number: 'a number',
    'number?': 'a number or null',
    boolean: 'true or false',
    texts: 'a list of texts',
    invitations: 'a list of invitations',
  }[kind];
}

/** The README's fact table (the section "Rules", **Facts**), as markdown lines. */
export function factTable(): string[] {
  const rows = entries.map(([name, entry]) => {
    const fields = Object.entries(entry.fields ?? {}).map(
      ([field, { kind, about }]) => `\`${field}\` (${kindWords(kind)}${about ? `: ${about}` : ''})`,
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

/**
 * schemas/facts.schema.json: the fact names a rule's `fact:` can take and the facts a test case can
 * give, with descriptions and examples, for editors' completion and hover. It describes and does not
 * validate: the loader checks facts itself, with did-you-mean and line numbers.
 */
export function factsSchema(): Record<string, unknown> {
  const names = entries.flatMap(([name, entry]) => [
    name,
    ...Object.keys(entry.fields ?? {}).map((field) => `${name}.${field}`),
  ]);
  const describe = ({ kind, about }: FieldEntry) => `${kindWords(kind)}${about ? `: ${about}` : ''}`;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'facts.schema.json',
    title: 'stagegate facts',
    description:
      'Generated from the fact catalogue in src/kernel/facts.ts by `node --import tsx scripts/fact-catalogue.ts --write`; do not edit.',
    definitions: {
      factName: {
        description: 'A fact, or a field of one (dotted), as a rule reads it.',
        examples: names,
      },
      givenFacts: {
        description:
          "Facts as a test case gives them: a fact's gathered fields replace what the event gave and the derived ones are computed from them; a derived field given is set over the computed one.",
        properties: Object.fromEntries(
          entries.map(([name, entry]) => [
            name,
            {
              description: entry.about ?? `the ${name} fact`,
              examples: [
                Object.fromEntries(
                  Object.entries(entry.fields ?? {}).map(([field, info]) => [field, info.example]),
                ),
              ],
              ...(entry.fields === null
                ? {}
                : {
                    properties: Object.fromEntries(
                      Object.entries(entry.fields).map(([field, fieldInfo]) => [
                        field,
                        {
                          description: `${describe(fieldInfo)}${fieldInfo.gathered ? ' (gathered)' : ' (derived)'}`,
                          examples: [fieldInfo.example],
                        },
                      ]),
                    ),
                  }),
            },
          ]),
        ),
      },
    },
  };
}
