import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPack } from '../../src/config/load-pack.js';
import { loadTenant } from '../../src/config/load-tenant.js';
import { envSecretSources } from '../../src/config/resolve-secrets.js';
import type { TenantSnapshot } from '../../src/config/types.js';
import { decide } from '../../src/decide/decide.js';
import type { Decision } from '../../src/decide/types.js';
import { computeFacts } from '../../src/enrich/compute-facts.js';
import type { Clock } from '../../src/kernel/clock.js';
import type { FactInput } from '../../src/kernel/facts.js';
import type { RunningServer } from '../../src/main.js';
import type { ActionRecord, Store } from '../../src/store/types.js';
import type { LeverSimulator } from './lever-simulator.js';
import { createWorkspace, sandboxTenant, startStagegate } from './start-stagegate.js';

// The console's tests share this world: a service whose store holds real decisions (made by the real
// rules from the tenant's file), a held candidate, a dead letter, an in-doubt send, and a tenant whose
// file is hostile (its name and tags are markup).

export const operatorTokens = {
  ana: 'ana-token-0123456789abcdef0123456789abcdef',
  ben: 'ben-token-0123456789abcdef0123456789abcdef',
};
export const hostileName = '<script>alert("pwned")</script>';
export const hostilePrefix = '"><img src=x onerror=alert(1)>';

// Lever at a closed port: a retried action tries it and waits its turn again.
const leverUrl = 'http://127.0.0.1:9';
const hostileTenant = `${sandboxTenant('evil', leverUrl)}displayName: ${JSON.stringify(hostileName)}
tags: { prefix: ${JSON.stringify(hostilePrefix)} }
`;

export interface ConsoleWorld {
  server: RunningServer & { lines: string[] };
  url: string;
  root: string;
  ids: { heldDecision: string; sentDecision: string; deadLetter: string; inDoubt: string };
  close(): Promise<void>;
}

export const consoleEnv = {
  STAGEGATE_ADMIN_TOKENS: `ana:${operatorTokens.ana},ben:${operatorTokens.ben}`,
  ACME__LEVER_API_KEY: 'acme-lever-key',
  ACME__TOKEN: 'acme-webhook-token',
  EVIL__LEVER_API_KEY: 'evil-lever-key',
  EVIL__TOKEN: 'evil-webhook-token',
};

/** The operator's Lever app, for a world with a tenant on OAuth (Lever: the simulator). */
export const oauthApp = {
  clientId: 'stagegate-console-app',
  clientSecret: 'console-client-secret-never-logged',
  // Registered once; tests follow Lever's redirect to the service's own address.
  redirectUri: 'https://stagegate.example/oauth/lever/callback',
};

export function oauthEnv(lever: LeverSimulator): Record<string, string> {
  return {
    STAGEGATE_LEVER_CLIENT_ID: oauthApp.clientId,
    STAGEGATE_LEVER_CLIENT_SECRET: oauthApp.clientSecret,
    STAGEGATE_LEVER_REDIRECT_URI: oauthApp.redirectUri,
    STAGEGATE_LEVER_AUTHORIZE_URL: lever.authorizeUrl,
    STAGEGATE_LEVER_TOKEN_URL: lever.tokenUrl,
    STAGEGATE_SECRET_KEY: 'c0ffee'.repeat(11).slice(0, 64),
  };
}

/** A tenant on OAuth: no API key, no signature token, only the Lever base URL (the simulator). */
export function oauthTenant(id: string, lever: LeverSimulator): string {
  return sandboxTenant(id, lever.baseUrl).replace(
    /lever:\n( {2}[^\n]*\n)+?(?= {2}baseUrl)/,
    'lever:\n  auth: oauth\n',
  );
}

export async function startConsoleWorld(
  env: Record<string, string> = {},
  options: { clock?: Clock; tenants?: Record<string, string> } = {},
): Promise<ConsoleWorld> {
  const root = await createWorkspace({
    acme: sandboxTenant('acme', leverUrl),
    evil: hostileTenant,
    ...options.tenants,
  });
  const server = await startStagegate(root, { ...consoleEnv, ...env }, [], options.clock);
  const acme = await snapshotOf(root, 'acme');
  const evil = await snapshotOf(root, 'evil');
  const now = options.clock?.now() ?? Date.now();
  const store = server.store;
  const held = await record(store, acme, {
    opportunityId: 'opp-held',
    email: 'held.candidate@example.com',
    tags: ['Backend - Python', 'Frontend - React'],
    at: now - 3_600_000,
  });
  const sent = await record(store, acme, {
    opportunityId: 'opp-sent',
    email: 'sent.candidate@example.com',
    tags: [],
    at: now - 7_200_000,
  });
  // Her completion, scored 82: the rules tag her Pass.
  await record(store, acme, {
    opportunityId: 'opp-sent',
    email: 'sent.candidate@example.com',
    tags: ['Hired Assessments - Sent'],
    at: now - 3_000_000,
    completed: { invitationId: `${sent.decision.id}:0`, score: 82 },
  });
  await store.putInvitation({
    id: `${sent.decision.id}:0`,
    tenant: 'acme',
    opportunityId: 'opp-sent',
    test: 'Backend - Python',
    providerTestId: 'sandbox-python',
    status: 'completed',
    score: 82,
    reportUrl: 'javascript:alert(1)',
    candidate: { email: 'sent.candidate@example.com' },
    createdAt: now - 7_200_000,
    updatedAt: now - 3_000_000,
  });
  // A decision whose tag action failed for good after its send was done: the dead letter to retry.
  const dead = await record(store, acme, {
    opportunityId: 'opp-dead',
    email: 'dead.letter@example.com',
    tags: [],
    at: now - 1_800_000,
    fail: { from: 1, error: 'Lever answered 500 five times' },
  });
  // A send the vendor may have: in doubt, with its invitation still `sending`.
  const doubt = await record(store, acme, {
    opportunityId: 'opp-doubt',
    email: 'in.doubt@example.com',
    tags: [],
    at: now - 900_000,
    fail: { from: 0, error: 'the vendor did not answer in time', inDoubt: true },
  });
  await store.putInvitation({
    id: `${doubt.decision.id}:0`,
    tenant: 'acme',
    opportunityId: 'opp-doubt',
    test: 'Backend - Python',
    providerTestId: 'sandbox-python',
    status: 'sending',
    createdAt: now - 900_000,
    updatedAt: now - 900_000,
  });
  await record(store, evil, {
    opportunityId: 'opp-evil',
    email: 'evil@example.com',
    tags: [hostileName],
    at: now - 600_000,
  });
  return {
    server,
    url: server.url,
    root,
    ids: {
      heldDecision: held.decision.id,
      sentDecision: sent.decision.id,
      deadLetter: `${dead.decision.id}:1`,
      inDoubt: `${doubt.decision.id}:0`,
    },
    close: () => server.close(),
  };
}

async function snapshotOf(root: string, id: string): Promise<TenantSnapshot> {
  const packFile = join(root, 'rules', 'assessment-lifecycle.yaml');
  const pack = loadPack(packFile, await readFile(packFile, 'utf8'));
  const file = join(root, 'tenants', `${id}.yaml`);
  const load = loadTenant({
    file,
    text: await readFile(file, 'utf8'),
    findPack: (name) => (name === pack.name ? pack : undefined),
    secrets: envSecretSources(consoleEnv),
    allowedHosts: 'unchecked',
  });
  if (load.snapshot === null) throw new Error(`${id} did not load: ${JSON.stringify(load.diagnostics)}`);
  return load.snapshot;
}

/** A move into Technical Screen decided by the tenant's real rules, stored as the inbox worker stores it. */
async function record(
  store: Store,
  tenant: TenantSnapshot,
  candidate: {
    opportunityId: string;
    email: string;
    tags: string[];
    at: number;
    fail?: { from: number; error: string; inDoubt?: boolean };
    completed?: { invitationId: string; score: number };
  },
): Promise<{ decision: Decision; actions: ActionRecord[] }> {
  const { completed } = candidate;
  const type = completed === undefined ? 'candidateStageChange' : 'assessmentCompleted';
  const token = completed === undefined ? `token-${candidate.opportunityId}` : completed.invitationId;
  const input: FactInput = {
    event: { type, id: token, triggeredAt: candidate.at },
    now: candidate.at,
    stage: { id: 'stage-tech', name: 'Technical Screen', fromName: 'Phone Screen' },
    candidate: {
      opportunityId: candidate.opportunityId,
      name: 'Ada Lovelace',
      email: candidate.email,
      tags: candidate.tags,
      archived: false,
      postingTitle: null,
      postingNote: null,
      profileUrl: null,
    },
    invitations:
      completed === undefined
        ? []
        : [
            {
              id: completed.invitationId,
              test: 'Backend - Python',
              status: 'completed',
              sentAt: candidate.at - 4_200_000,
            },
          ],
    ...(completed === undefined
      ? {}
      : {
          assessment: {
            invitationId: completed.invitationId,
            test: 'Backend - Python',
            status: 'completed',
            score: completed.score,
            reportUrl: null,
          },
        }),
  };
  const facts = computeFacts(tenant, input);
  const decision = await decide(tenant, { ...facts.event, opportunityId: candidate.opportunityId }, facts);
  const { item } = await store.acceptDelivery({
    tenant: tenant.id,
    token,
    event: type,
    triggeredAt: candidate.at,
    opportunityId: candidate.opportunityId,
    payload: { data: { opportunityId: candidate.opportunityId, toStageId: 'stage-tech' } },
  });
  const { fail } = candidate;
  const actions: ActionRecord[] = decision.actions.map((action, index) => {
    const failed = fail !== undefined && index >= fail.from;
    return {
      id: `${decision.id}:${index}`,
      tenant: tenant.id,
      opportunityId: candidate.opportunityId,
      decisionId: decision.id,
      index,
      action,
      status: failed ? 'failed' : 'done',
      attempts: failed && index === fail.from ? 5 : index < (fail?.from ?? Infinity) ? 1 : 0,
      nextAttemptAt: candidate.at,
      ...(failed && index === fail.from
        ? { lastError: fail.error, failureClass: fail.inDoubt ? 'in-doubt' : 'retry-safe' }
        : {}),
      createdAt: candidate.at,
      updatedAt: candidate.at,
    };
  });
  await store.completeInbox(item.id, {
    decision: {
      id: decision.id,
      tenant: tenant.id,
      opportunityId: candidate.opportunityId,
      inboxId: item.id,
      createdAt: candidate.at,
      decision: JSON.parse(JSON.stringify(decision)),
      email: candidate.email,
    },
    actions,
  });
  return { decision, actions };
}
