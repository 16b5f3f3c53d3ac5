import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { TenantRegistry } from '../config/tenant-registry.js';
import type { Clock } from '../kernel/clock.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import { isRecord } from '../kernel/json.js';
import type { InboxWorker } from '../run/create-inbox-worker.js';
import type { InboxItem, InboxStatus, Store } from '../store/types.js';
import { readQuery } from './read-query.js';

/** An inbox item as the admin API lists it: everything but the payload. */
export type InboxSummary = Omit<InboxItem, 'payload'>;

/** Where deliveries can be replayed: the worker that takes them, and the service's clock. */
export interface InboxReplay {
  worker: Pick<InboxWorker, 'enqueue'>;
  clock: Clock;
}

export interface InboxRouteOptions {
  store: Store;
  registry: Pick<TenantRegistry, 'list'>;
  replay?: InboxReplay;
  log?: Logger;
}

const statuses: readonly InboxStatus[] = ['pending', 'skipped', 'done'];
const defaultLimit = 100;
const maxLimit = 1000;
const units = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * GET /inbox, POST /inbox/:id/replay, POST /inbox/replay-skipped. A replay puts a skipped delivery
 * back to pending and hands it to the worker, which decides it as if it had just arrived (its retry
 * windows count from the replay). Its dedupe token plays no part. A decided delivery is refused.
 */
export function addInboxRoutes(router: Router, options: InboxRouteOptions): void {
  const { store, registry, log } = options;

  router.get('/inbox', async (req, res) => {
    const tenant = readQuery(req, 'tenant');
    const status = readStatus(readQuery(req, 'status'));
    const sinceText = readQuery(req, 'since');
    const since = sinceText === undefined ? undefined : readSince(sinceText, options.replay?.clock.now());
    const limit = readLimit(readQuery(req, 'limit'));
    const found = await store.listInbox({
      ...(tenant === undefined ? {} : { tenant }),
      ...(status === undefined ? {} : { status }),
      ...(since === undefined ? {} : { since }),
      limit: limit + 1,
    });
    res.json({ items: found.slice(0, limit).map(summarize), more: found.length > limit });
  });

  router.post('/inbox/:id/replay', async (req, res) => {
    const replay = replayOf(options);
    const item = await store.getInboxItem(req.params.id);
    if (item === undefined) throw new StagegateError('NOT_FOUND', `no inbox item ${req.params.id}`);
    checkLoaded(registry, item.tenant);
    res.json({ item: summarize(await replayOne(item, replay)) });
  });

  router.post('/inbox/replay-skipped', express.json({ limit: '1kb' }), async (req, res) => {
    const replay = replayOf(options);
    const { tenant, since } = readReplaySkipped(req.body, replay.clock.now());
    checkLoaded(registry, tenant);
    const skipped = await store.listInbox({ tenant, status: 'skipped', since });
    const replayed: string[] = [];
    for (const item of skipped) {
      try {
        replayed.push((await replayOne(item, replay)).id);
      } catch (error) {
        // Replayed (or pruned) meanwhile by someone else: nothing left to do for it.
        const failure = toStagegateError(error);
        if (failure.code !== 'CONFLICT' && failure.code !== 'NOT_FOUND') throw failure;
      }
    }
    res.json({ replayed });
  });

  async function replayOne(item: InboxItem, replay: InboxReplay) {
    const pending = await store.replayInbox(item.id, replay.clock.now());
    log?.info(
      {
        tenant: item.tenant,
        inboxId: item.id,
        opportunityId: item.opportunityId,
        previousReason: item.reason,
      },
      'inbox item replayed',
    );
    replay.worker.enqueue(pending);
    return pending;
  }
}

function replayOf(options: InboxRouteOptions): InboxReplay {
  if (options.replay === undefined) throw new StagegateError('NOT_FOUND', 'replay is not available here');
  return options.replay;
}

/** A replay into a tenant with no serving version would only be skipped again at once. */
function checkLoaded(registry: Pick<TenantRegistry, 'list'>, tenant: string): void {
  const entry = registry.list().find((candidate) => candidate.id === tenant);
  if (entry?.snapshot) return;
  throw new StagegateError(
    'TENANT_UNKNOWN',
    entry === undefined
      ? `tenant ${tenant} is not loaded (no tenants/${tenant}.yaml): nothing would decide the replayed delivery`
      : `tenant ${tenant} has no valid version loaded (${entry.lastError ?? entry.status}): fix tenants/${tenant}.yaml, then replay`,
    { details: { tenant } },
  );
}

function summarize({ payload: _payload, ...summary }: InboxItem): InboxSummary {
  return summary;
}

function readStatus(value: string | undefined): InboxStatus | undefined {
  if (value === undefined) return undefined;
  const status = statuses.find((known) => known === value);
  if (status === undefined) {
    throw new StagegateError('BAD_JSON', `status must be one of ${statuses.join(', ')}; got '${value}'`);
  }
  return status;
}

function readLimit(value: string | undefined): number {
  if (value === undefined) return defaultLimit;
  const limit = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= maxLimit)) {
    throw new StagegateError(
      'BAD_JSON',
      `limit must be a whole number from 1 to ${maxLimit}; got '${value}'`,
    );
  }
  return limit;
}

/** An ISO 8601 time, or a duration back from now: `90s`, `30m`, `24h`, `7d`. */
export function readSince(text: string, now: number | undefined): number {
  const duration = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  if (duration !== null && now !== undefined) {
    return now - Number(duration[1]) * units[duration[2] as keyof typeof units];
  }
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new StagegateError(
      'BAD_JSON',
      `since must be an ISO 8601 time (2026-03-02T09:00:00Z) or a duration back from now (90s, 30m, 24h, 7d); got '${text}'`,
    );
  }
  return at;
}

function readReplaySkipped(body: unknown, now: number): { tenant: string; since: number } {
  const usage = 'the body must be {"tenant": string, "since": "<ISO time or duration such as 24h>"}';
  const fields = isRecord(body) ? body : {};
  const unknown = Object.keys(fields).filter((key) => key !== 'tenant' && key !== 'since');
  const { tenant, since } = fields;
  if (typeof tenant !== 'string' || tenant === '' || typeof since !== 'string' || unknown.length > 0) {
    throw new StagegateError(
      'BAD_JSON',
      unknown.length > 0 ? `${usage}; unknown: ${unknown.join(', ')}` : usage,
    );
  }
  return { tenant, since: readSince(since, now) };
}
