import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { factsSchemaPath, readmePath, withFactTable } from '../../../scripts/fact-catalogue.js';
import { computeFacts } from '../../../src/enrich/compute-facts.js';
import {
  type FactInput,
  type FieldEntry,
  factCatalog,
  factCatalogue,
  factsSchema,
  factTable,
  fitsKind,
  type GatheredFactName,
  givenFieldKind,
  leverFactNames,
} from '../../../src/kernel/facts.js';
import { loadShippedTenant } from '../../support/load-shipped-tenant.js';

const input: FactInput = {
  event: { type: 'candidateStageChange', id: 'e-1', triggeredAt: 0 },
  now: 0,
  stage: { id: null, name: 'Technical Screen', fromName: null },
  candidate: {
    opportunityId: 'o-1',
    name: null,
    email: 'ada@example.com',
    tags: ['Frontend - React'],
    archived: false,
    postingTitle: null,
    postingNote: null,
    profileUrl: null,
  },
  invitations: [{ id: 'i-1', test: 'backend', status: 'sent', sentAt: 0 }],
  assessment: { invitationId: 'i-1', test: 'backend', status: 'completed', score: 82, reportUrl: null },
};

const fields = Object.entries(factCatalogue).flatMap(([fact, entry]) =>
  Object.entries((entry.fields ?? {}) as Record<string, FieldEntry>).map(
    ([field, info]) => [`${fact}.${field}`, info] as const,
  ),
);

describe('the fact catalogue', () => {
  it("is the README's fact table (node --import tsx scripts/fact-catalogue.ts --write regenerates it)", () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(withFactTable(readme)).toBe(readme);
    expect(readme).toContain(factTable().join('\n'));
  });

  it('is schemas/facts.schema.json (the same script regenerates it)', () => {
    expect(JSON.parse(readFileSync(factsSchemaPath, 'utf8'))).toEqual(factsSchema());
  });

  it('lists exactly the facts and fields compute-facts derives, each value of its kind', () => {
    const facts = computeFacts(loadShippedTenant('acme'), input);
    expect(Object.keys(factCatalogue).sort()).toEqual(Object.keys(facts).sort());
    for (const [name, names] of Object.entries(factCatalog)) {
      if (names === null) continue;
      expect([...names].sort(), name).toEqual(Object.keys(facts[name as keyof typeof facts]).sort());
    }
    for (const [name, info] of fields) {
      const [fact, field] = name.split('.') as [keyof typeof facts, string];
      const value = (facts[fact] as Record<string, unknown>)[field];
      expect(fitsKind(info.kind, value), `${name} = ${JSON.stringify(value)}`).toBe(true);
    }
  });

  it('gives every field an example of its kind', () => {
    for (const [name, info] of fields) expect(fitsKind(info.kind, info.example), name).toBe(true);
  });

  it('types the fact input with the facts that have gathered fields', () => {
    expectTypeOf<GatheredFactName>().toEqualTypeOf<Exclude<keyof FactInput, 'now'>>();
    expect(givenFieldKind('assessment', 'score')).toEqual({ kind: 'number?', gathered: true });
    expect(givenFieldKind('assessment', 'test')).toEqual({ kind: 'text', gathered: true });
    expect(givenFieldKind('selection', 'held')).toEqual({ kind: 'boolean', gathered: false });
    expect(givenFieldKind('selection', 'nope')).toBeUndefined();
    expect(givenFieldKind('options', 'anything')).toBeUndefined();
    expect(givenFieldKind('constructor', 'name')).toBeUndefined();
  });

  it('names the facts a completion fetches from Lever only when a rule reads them', () => {
    expect(leverFactNames).toEqual([
      'stage',
      'candidate',
      'selection',
      'invitations.forSelectedTest',
      'resend',
    ]);
  });
});
