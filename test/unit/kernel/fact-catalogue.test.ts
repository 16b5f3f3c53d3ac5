import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readmePath, withFactTable } from '../../../scripts/fact-table.js';
import { computeFacts } from '../../../src/enrich/compute-facts.js';
import { factCatalog, factCatalogue, factTable, leverFactNames } from '../../../src/kernel/facts.js';
import { loadShippedTenant } from '../../support/load-shipped-tenant.js';

describe('the fact catalogue', () => {
  it("is the README's fact table (node --import tsx scripts/fact-table.ts --write regenerates it)", () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(withFactTable(readme)).toBe(readme);
    expect(readme).toContain(factTable().join('\n'));
  });

  it('lists exactly the facts and fields compute-facts derives', () => {
    const facts = computeFacts(loadShippedTenant('acme'), {
      event: { type: 'candidateStageChange', id: 'e-1', triggeredAt: 0 },
      now: 0,
      stage: { id: null, name: null, fromName: null },
      candidate: {
        opportunityId: 'o-1',
        name: null,
        email: null,
        tags: [],
        archived: false,
        postingTitle: null,
        postingNote: null,
        profileUrl: null,
      },
      invitations: [],
    });
    expect(Object.keys(factCatalogue).sort()).toEqual(Object.keys(facts).sort());
    for (const [name, fields] of Object.entries(factCatalog)) {
      if (fields === null) continue;
      expect([...fields].sort(), name).toEqual(Object.keys(facts[name as keyof typeof facts]).sort());
    }
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
