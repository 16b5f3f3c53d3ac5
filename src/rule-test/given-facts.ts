import { factProblem } from '../config/compile-rule.js';
import type { Diagnostic } from '../config/diagnostic.js';
import { createErrorReporter, type YamlFile, type YamlPath } from '../config/read-yaml.js';
import {
  type FactInput,
  factCatalog,
  fitsKind,
  givenFieldKind,
  type InvitationFact,
  type InvitationStatus,
  invitationForm,
  kindWords,
} from '../kernel/facts.js';
import { isRecord } from '../kernel/json.js';

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
      const given = givenFieldKind(root, field);
      const side =
        given?.gathered && fitsKind(given.kind, item) ? gathered : (derived as Record<string, Given>);
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
      const given = givenFieldKind(root, field);
      if (given === undefined || fitsKind(given.kind, item)) continue;
      report(
        'schema',
        [...at, root, field],
        `'${root}.${field}' must be ${kindWords(given.kind)}`,
        given.kind === 'invitations' ? `each one ${invitationForm}` : undefined,
      );
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
