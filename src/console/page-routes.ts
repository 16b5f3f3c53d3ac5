import type { Response, Router } from 'express';
import { buildCandidateTimeline } from '../admin/candidate-timeline.js';
import { StagegateError } from '../kernel/errors.js';
import { renderCandidateSearch, renderDecision } from './candidate-pages.js';
import type { ConsoleKit } from './console-kit.js';
import { renderTenant, renderTenants } from './tenant-pages.js';

/** Sends a tenant's page (its set-up, week, dead letters, recent decisions), with a notice or a problem. */
export type TenantPage = (
  res: Response,
  id: string,
  status: number,
  notice?: string,
  problem?: string,
) => Promise<void>;

export function createTenantPage(kit: ConsoleKit): TenantPage {
  const { store, registry } = kit.options;
  const connect = kit.options.leverConnect;
  return async (res, id, status, notice, problem) => {
    const entry = registry.get(id);
    if (entry === undefined) throw new StagegateError('NOT_FOUND', `No tenant ${id} is loaded.`);
    const oauth = entry.snapshot?.settings.lever.auth === 'oauth';
    const [week, decisions, failed, lever] = await Promise.all([
      kit.weekOf(entry),
      store.recentDecisions(id, kit.options.recentDecisions ?? 20),
      // By status alone, then the tenant here: failed actions are few, and on SQLite the index on
      // status serves this where (tenant, status) would be planned over every action of the tenant.
      store
        .listActions({ status: 'failed' })
        .then((failed) => failed.filter((record) => record.tenant === id)),
      !oauth ? undefined : connect === undefined ? ({ kind: 'not-configured' } as const) : connect.state(id),
    ]);
    const body = renderTenant({
      entry,
      tenants: kit.tenantIds(),
      week,
      decisions,
      deadLetters: failed.sort((a, b) => a.createdAt - b.createdAt || a.index - b.index),
      session: kit.pageSession(res),
      lever,
    });
    const title = entry.snapshot?.settings.displayName ?? id;
    kit.send(res, status, { title: `Tenant ${title}`, session: kit.pageSession(res), body, notice, problem });
  };
}

const notices: Record<string, string> = {
  retried: 'was put back to be tried again now',
  'sent-again': 'is sent again: you found no invitation at the vendor',
  recorded: 'is recorded as sent with the vendor’s invitation id',
};

/** The pages that only read: the tenants, a tenant, a candidate's search and timeline, a decision. */
export function addPageRoutes(router: Router, kit: ConsoleKit, tenantPage: TenantPage): void {
  const { store, registry } = kit.options;
  const { send, pageSession } = kit;

  router.get('/', async (_req, res) => {
    const rows = await Promise.all(
      registry.list().map(async (entry) => ({ entry, week: await kit.weekOf(entry) })),
    );
    send(res, 200, { title: 'Tenants', session: pageSession(res), body: renderTenants(rows) });
  });

  router.get('/tenants/:tenant', async (req, res) => {
    const done = typeof req.query.done === 'string' ? notices[req.query.done] : undefined;
    const action = typeof req.query.action === 'string' ? req.query.action : '';
    await tenantPage(
      res,
      req.params.tenant,
      200,
      // Who did it: the one signed in, whom the form sent back here (the log keeps it for everyone).
      done === undefined ? undefined : `Action ${action} ${done} (by ${kit.sessionOf(res).operator}).`,
    );
  });

  router.get('/candidates', async (req, res) => {
    const tenants = kit.tenantIds();
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : tenants[0];
    const query = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    const page = (body: Parameters<typeof renderCandidateSearch>[0], status = 200) =>
      send(res, status, {
        title: 'Find a candidate',
        session: pageSession(res),
        body: renderCandidateSearch(body),
      });
    if (tenant === undefined || query === '') return page({ tenants, tenant, query });
    if (registry.get(tenant) === undefined)
      return page({ tenants, tenant, query, problem: `No tenant ${tenant} is loaded.` }, 404);
    const matches = query.includes('@') ? await store.findOpportunitiesByEmail(tenant, query) : [query];
    const only = matches.length === 1 ? matches[0] : undefined;
    const records = only === undefined ? undefined : await store.findCandidate(tenant, only);
    if (only !== undefined && records !== undefined) {
      return page({ tenants, tenant, query, timeline: buildCandidateTimeline(tenant, only, records) });
    }
    if (matches.length > 1) return page({ tenants, tenant, query, matches });
    const tombstone = only === undefined ? undefined : await store.getTombstone(tenant, only);
    const problem =
      tombstone !== undefined
        ? `This candidate was purged on ${new Date(tombstone.purgedAt).toISOString().slice(0, 10)}: nothing about them is kept.`
        : `Tenant ${tenant} has no record of ${query}.`;
    return page({ tenants, tenant, query, problem }, 404);
  });

  router.get('/decisions/:id', async (req, res) => {
    const record = await store.getDecision(req.params.id);
    if (record === undefined) throw new StagegateError('NOT_FOUND', `No decision ${req.params.id}.`);
    send(res, 200, {
      title: `Decision ${record.id}`,
      session: pageSession(res),
      body: renderDecision(record),
    });
  });
}
