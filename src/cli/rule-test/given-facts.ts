import { factProblem } from '../../config/compile-rule.js';
import type { Diagnostic } from '../../config/diagnostic.js';
import { createErrorReporter, type YamlFile, type YamlPath } from '../../config/read-yaml.js';
import type { FactInput } from '../../enrich/compute-facts.js';
import { factCatalog, type InvitationFact, type InvitationStatus } from '../../kernel/facts.js';
import { isRecord } from '../../kernel/json.js';

type Kind = 'text' | 'text?' | 'number' | 'number?' | 'boolean' | 'texts';
type Fields<T> = { readonly [K in keyof T]-?: Kind };

/**
 * The fact fields enrichment gathers from the webhook, Lever and the store: given in a case's
 * `facts:` (or `explain --facts`), they go into the fact input, so that what is derived from them
 * (stage.isTrigger, selection, resend, …) is computed as the service would. Typed against FactInput,
 * so a field added there must be added here.
 */
const gatheredFields: {
  event: Fields<FactInput['event']>;
  stage: Fields<FactInput['stage']>;
  candidate: Fields<FactInput['candidate']>;
  assessment: Fields<NonNullable<FactInput['assessment']>>;
} = {
  event: { type: 'text', id: 'text', triggeredAt: 'number' },
  stage: { id: 'text?', name: 'text?', fromName: 'text?' },
  candidate: {
    opportunityId: 'text?',
    name: 'text?',
    email: 'text?',
    tags: 'texts',
    archived: 'boolean',
    postingTitle: 'text?',
    postingNote: 'text?',
    profileUrl: 'text?',
  },
  assessment: { invitationId: 'text', test: 'text', status: 'text', score: 'number?', reportUrl: 'text?' },
};

const kindText: Record<Kind, string> = {
  text: 'text',
  'text?': 'text or null',
  number: 'a number',
  'number?': 'a number or null',
  boolean: 'true or false',
  texts: 'a list of texts',
};

const invitationStatuses: readonly InvitationStatus[] = [
  'sending',
  'sent',
  'started',
  'completed',
  'cancelled',
  'failed',
];

type Given = Record<string, unknown>;

/**
 * Splits given facts into what enrichment would have gathered (fields of event, stage, candidate,
 * assessment, and invitations.all) and derived facts, which are set over the computed ones as given:
 * the way to force a case the tenant's settings cannot otherwise reach (a hold, say).
 */
export function splitGivenFacts(given: Given | undefined): { gathered: Given; derived: Given } {
  const gathered: Record<string, Given> = {};
  const derived: Given = {};
  for (const [root, value] of Object.entries(given ?? {})) {
    if (!isRecord(value)) {
      derived[root] = value;
      continue;
    }
    for (const [field, item] of Object.entries(value)) {
      const kind = gatheredKind(root, field);
      const fits =
        kind === 'invitations' ? isInvitationList(item) : kind !== undefined && fitsKind(kind, item);
      const side = fits ? gathered : (derived as Record<string, Given>);
      side[root] = { ...side[root], [field]: item };
    }
  }
  return { gathered, derived };
}

/** The fact input with the gathered facts put in, in place of what the case's event gave. */
export function withGatheredFacts(input: FactInput, gathered: Given): FactInput {
  const part = (root: string) => (gathered[root] ?? {}) as Given;
  const invitations = part('invitations').all as GivenInvitation[] | undefined;
  const assessment = part('assessment');
  return {
    ...input,
    event: { ...input.event, ...part('event') },
    stage: { ...input.stage, ...part('stage') },
    candidate: { ...input.candidate, ...part('candidate') },
    invitations:
      invitations === undefined
        ? input.invitations
        : invitations.map((invitation, i) => toInvitation(invitation, i, input.now)),
    ...(input.assessment !== undefined || Object.keys(assessment).length > 0
      ? {
          assessment: {
            invitationId: 'invitation-completed',
            test: '',
            status: 'completed',
            score: null,
            reportUrl: null,
            ...input.assessment,
            ...assessment,
          },
        }
      : {}),
  };
}

/**
 * Checks given facts (a case's `facts:`, an `explain --facts` file) at `at` in `yaml`: every fact and
 * field must exist, and a gathered field must have its type, since it feeds the derived facts.
 */
export function checkGivenFacts(given: unknown, yaml: YamlFile, at: YamlPath): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = createErrorReporter(yaml, out);
  if (!isRecord(given)) {
    report('schema', at, 'facts are a mapping of fact name to fields, e.g. { stage: { name: Onsite } }');
    return out;
  }
  for (const [root, value] of Object.entries(given)) {
    const rootProblem = factProblem(root);
    if (rootProblem) {
      report('unknown-fact', [...at, root], rootProblem.message, rootProblem.hint, 'key');
      continue;
    }
    const fields = factCatalog[root as keyof typeof factCatalog];
    if (fields === null) continue; // options: free-form
    if (!isRecord(value)) {
      report('schema', [...at, root], `the fact '${root}' is a mapping of its fields (${fields.join(', ')})`);
      continue;
    }
    for (const [field, item] of Object.entries(value)) {
      const problem = factProblem(`${root}.${field}`);
      if (problem) {
        report('unknown-fact', [...at, root, field], problem.message, problem.hint, 'key');
        continue;
      }
      const kind = gatheredKind(root, field);
      if (kind === 'invitations' && !isInvitationList(item)) {
        report(
          'schema',
          [...at, root, field],
          `'${root}.${field}' must be a list of invitations`,
          `each one { test, status, id?, sentAt? }; status is one of ${invitationStatuses.join(', ')}`,
        );
      } else if (kind !== undefined && kind !== 'invitations' && !fitsKind(kind, item)) {
        report('schema', [...at, root, field], `'${root}.${field}' must be ${kindText[kind]}`);
      }
    }
  }
  return out;
}

interface GivenInvitation {
  id?: string;
  test: string;
  status: InvitationStatus;
  sentAt?: number | string;
}

function toInvitation(invitation: GivenInvitation, index: number, now: number): InvitationFact {
  const sentAt =
    typeof invitation.sentAt === 'number'
      ? invitation.sentAt
      : typeof invitation.sentAt === 'string'
        ? Date.parse(invitation.sentAt)
        : now - 86_400_000;
  return {
    id: invitation.id ?? `invitation-${index + 1}`,
    test: invitation.test,
    status: invitation.status,
    sentAt,
  };
}

function gatheredKind(root: string, field: string): Kind | 'invitations' | undefined {
  if (root === 'invitations') return field === 'all' ? 'invitations' : undefined;
  if (!Object.hasOwn(gatheredFields, root)) return undefined;
  const fields = gatheredFields[root as keyof typeof gatheredFields] as Readonly<Record<string, Kind>>;
  return Object.hasOwn(fields, field) ? fields[field] : undefined;
}

function fitsKind(kind: Kind, value: unknown): boolean {
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
  }
}

function isInvitationList(value: unknown): value is GivenInvitation[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item) =>
        isRecord(item) &&
        typeof item.test === 'string' &&
        invitationStatuses.includes(item.status as InvitationStatus) &&
        (item.id === undefined || typeof item.id === 'string') &&
        (item.sentAt === undefined ||
          typeof item.sentAt === 'number' ||
          (typeof item.sentAt === 'string' && !Number.isNaN(Date.parse(item.sentAt)))),
    )
  );
}
