import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadPack } from '../src/config/load-pack.js';
import { loadTenant } from '../src/config/load-tenant.js';
import { envSecretSources } from '../src/config/resolve-secrets.js';
import type { TenantSnapshot } from '../src/config/types.js';
import { decide } from '../src/decide/decide.js';
import { createEngine } from '../src/decide/engine-pool.js';
import { factNamesOf, flattenFacts } from '../src/decide/flatten-facts.js';
import { computeFacts } from '../src/enrich/compute-facts.js';
import type { FactInput } from '../src/kernel/facts.js';
import type { BenchResult } from './bench-result.js';

const root = resolve(import.meta.dirname, '..');
const now = Date.parse('2026-01-01T00:00:00Z');

function load(file: string, text: string): TenantSnapshot {
  const pack = loadPack(
    'rules/assessment-lifecycle.yaml',
    readFileSync(resolve(root, 'rules/assessment-lifecycle.yaml'), 'utf8'),
  );
  const result = loadTenant({
    file,
    text,
    findPack: () => pack,
    secrets: envSecretSources({}),
    // Decisions send nothing: where the tenant's base URLs point is not what this measures.
    allowedHosts: 'unchecked',
  });
  if (!result.snapshot)
    throw new Error(`bench tenant did not load: ${JSON.stringify(result.diagnostics[0])}`);
  return result.snapshot;
}

/** acme plus 187 rules of its own: 200 in all, each reading tags, stage and score. */
function bigTenantText(): string {
  const base = readFileSync(resolve(root, 'tenants/acme.yaml'), 'utf8').replace(/^rules: \[\]$/m, '');
  const rules = Array.from(
    { length: 187 },
    (_, i) => `  - name: custom-${i}
    priority: ${1 + (i % 9)}
    when:
      all:
        - { fact: event.type, operator: equal, value: candidateStageChange }
        - any:
            - { fact: candidate.tags, operator: contains, value: "team-${i}" }
            - { fact: stage.name, operator: equal, value: "Stage ${i}" }
        - not: { fact: candidate.archived, operator: equal, value: true }
    then:
      - { type: lever.addTags, tags: ["custom-${i}"] }
`,
  );
  return `${base}rules:\n${rules.join('')}`;
}

function inputs(): FactInput[] {
  return Array.from({ length: 64 }, (_, i) => ({
    event: {
      type: i % 4 === 3 ? 'assessmentCompleted' : 'candidateStageChange',
      id: `token-${i}`,
      triggeredAt: now,
    },
    now,
    stage: {
      id: `s${i % 3}`,
      name: ['Technical Screen', 'Take-home', 'Onsite'][i % 3] ?? null,
      fromName: null,
    },
    candidate: {
      opportunityId: `opp-${i}`,
      name: 'Ada',
      email: i % 7 === 0 ? null : 'ada@example.com',
      tags: i % 5 === 0 ? ['Frontend - React', `team-${i}`] : [`team-${i}`],
      archived: false,
      postingTitle: null,
      postingNote: null,
      profileUrl: null,
    },
    invitations: [],
    ...(i % 4 === 3
      ? {
          assessment: {
            invitationId: `inv-${i}`,
            test: 'Backend - Python',
            status: 'completed',
            score: i,
            reportUrl: 'https://r',
          },
        }
      : {}),
  }));
}

async function measure(
  label: string,
  tenant: TenantSnapshot,
  rounds = 7,
  perRound = 1500,
): Promise<BenchResult[]> {
  const factsList = inputs().map((input) => computeFacts(tenant, input));
  const flat = factsList.map((facts) => flattenFacts(facts, factNamesOf(tenant.rules)));
  const raw = createEngine(tenant.rules);
  const ours: number[] = [];
  const bare: number[] = [];
  const runOurs = async () => {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) {
      const facts = factsList[i % factsList.length];
      if (facts)
        await decide(tenant, { ...facts.event, opportunityId: facts.candidate.opportunityId }, facts);
    }
    return perRound / ((performance.now() - start) / 1000);
  };
  const runRaw = async () => {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) await raw.run(flat[i % flat.length]);
    return perRound / ((performance.now() - start) / 1000);
  };
  await runOurs(); // warm the JIT for both
  await runRaw();
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so that neither always pays for the other's garbage.
    if (round % 2 === 0) {
      ours.push(await runOurs());
      bare.push(await runRaw());
    } else {
      bare.push(await runRaw());
      ours.push(await runOurs());
    }
  }
  const o = median(ours);
  const b = median(bare);
  // Each round's pair ran back to back, so its ratio is free of the drift between rounds (GC,
  // clock speed, neighbours); the overhead is the median of those paired ratios.
  const overhead = median(ours.map((rate, i) => ((bare[i] ?? rate) / rate - 1) * 100));
  return [
    {
      name: `decide, ${label} (${tenant.rules.length} rules): ours`,
      value: o,
      unit: 'decisions/s',
      target: label === 'example tenant' ? '>= 2,000' : undefined,
    },
    { name: `decide, ${label}: raw json-rules-engine, same rules`, value: b, unit: 'decisions/s' },
    {
      name: `decide, ${label}: overhead over raw (median of ${rounds} paired rounds)`,
      value: overhead,
      unit: '%',
      target: '<= 15',
    },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function benchDecide(): Promise<BenchResult[]> {
  const example = load('tenants/acme.yaml', readFileSync(resolve(root, 'tenants/acme.yaml'), 'utf8'));
  const big = load('tenants/acme.yaml', bigTenantText());
  return [
    ...(await measure('example tenant', example, 41, 600)),
    ...(await measure('200-rule tenant', big, 21, 100)),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchDecide()) console.log(`${r.name}: ${r.value.toFixed(1)} ${r.unit}`);
}
