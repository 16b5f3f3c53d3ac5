import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { createAdminRouter } from '../../src/admin/create-admin-router.js';
import type { TenantEntry } from '../../src/config/tenant-registry.js';
import type { TenantSnapshot } from '../../src/config/types.js';
import type { Decision } from '../../src/decide/types.js';
import { createExecutor } from '../../src/execute/create-executor.js';
import { createManualClock } from '../../src/kernel/clock.js';
import { StagegateError } from '../../src/kernel/errors.js';
import { createLowdbStore } from '../../src/store/lowdb/create-lowdb-store.js';
import type { ActionRecord, DecisionRecord, Store } from '../../src/store/types.js';

// Shared by test/integration/admin-*.test.ts; belongs in test/support/ (kept here by the file-ownership rules of the change).

export const adminToken = 'admin-token-for-tests';
export const start = Date.UTC(2025, 0, 6, 9, 0, 0);

export interface AdminServer {
  url: string;
  store: Store;
  decision: DecisionRecord;
  pendingId: string;
  failedId: string;
  completions: { tenant: string; invitationId: string; score: number | null }[];
  close(): Promise<void>;
}

const decision: Decision = {
  id: 'dec-1',
  tenant: 'acme',
  configVersion: 'v7',
  event: { type: 'candidateStageChange', id: 'token-1', triggeredAt: start - 1000, opportunityId: 'opp-1' },
  facts: {} as Decision['facts'],
  fired: [{ name: 'send-python-test', priority: 10 }],
  actions: [
    { type: 'assessment.send', test: 'Backend - Python', providerTestId: 'sandbox-python' },
    { type: 'lever.addTags', tags: ['Assessment sent'] },
  ],
  reasons: ['the candidate reached the assessment stage'],
  trace: [],
};

const tenants: TenantEntry[] = [
  {
    id: 'acme',
    file: 'tenants/acme.yaml',
    status: 'ready',
    snapshot: { version: 'v7' } as TenantSnapshot,
    diagnostics: [],
    lastError: null,
    loadedAt: start,
  },
  {
    id: 'globex',
    file: 'tenants/globex.yaml',
    status: 'invalid',
    snapshot: null,
    diagnostics: [],
    lastError: 'tenants/globex.yaml:3:1 unknown key',
    loadedAt: start,
  },
];

/**
 * The admin router on 127.0.0.1 port 0 over a real lowdb store holding one decision with two actions
 * (the first pending, the second failed) and one pending delivery of another tenant.
 */
export async function startAdminServer(
  options: { token?: string | undefined; sandbox?: boolean } = {},
): Promise<AdminServer> {
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-admin-'));
  const clock = createManualClock(start);
  const store = await createLowdbStore({ dir, clock, commitIntervalMs: 0 });
  const log = pino({ level: 'silent' });
  const unused = () => {
    throw new Error('retry() must not call out');
  };
  const executor = createExecutor({
    store,
    tenant: unused,
    lever: unused,
    provider: unused,
    callbackUrl: unused,
    clock,
    log,
  });

  const { item } = await store.acceptDelivery({
    tenant: 'acme',
    token: 'token-1',
    event: 'candidateStageChange',
    triggeredAt: start - 1000,
    opportunityId: 'opp-1',
    payload: {},
  });
  await store.acceptDelivery({
    tenant: 'globex',
    token: 'token-2',
    event: 'candidateStageChange',
    triggeredAt: start - 1000,
    opportunityId: 'opp-9',
    payload: {},
  });
  const record: DecisionRecord = {
    id: decision.id,
    tenant: 'acme',
    opportunityId: 'opp-1',
    inboxId: item.id,
    createdAt: start,
    decision,
  };
  const actions: ActionRecord[] = decision.actions.map((action, index) => ({
    id: `${record.id}:${index}`,
    tenant: 'acme',
    opportunityId: 'opp-1',
    decisionId: record.id,
    index,
    action,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: start,
    createdAt: start,
    updatedAt: start,
  }));
  await store.completeInbox(item.id, { decision: record, actions });
  const [pending, failed] = actions.map((action) => action.id) as [string, string];
  await store.updateAction(failed, { status: 'failed', attempts: 5, lastError: 'Lever answered 500' });

  const completions: AdminServer['completions'] = [];
  const app = express();
  app.use(
    '/admin',
    createAdminRouter({
      token: 'token' in options ? options.token : adminToken,
      store,
      executor,
      registry: { list: () => tenants },
      log,
      ...(options.sandbox === false
        ? {}
        : {
            completeSandbox: async (tenant: string, invitationId: string, score: number | null) => {
              if (invitationId === 'missing')
                throw new StagegateError('NOT_FOUND', `no invitation ${invitationId}`);
              completions.push({ tenant, invitationId, score });
            },
          }),
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    decision: record,
    pendingId: pending,
    failedId: failed,
    completions,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
