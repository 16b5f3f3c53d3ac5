import type { Executor } from '../execute/create-executor.js';
import type { Action } from '../kernel/actions.js';
import { StagegateError, toStagegateError } from '../kernel/errors.js';
import type { ActionRecord, Store } from '../store/types.js';

/** What became of one in-doubt send: sent again (with the rest of its decision), or refused. */
export interface InDoubtOutcome {
  id: string;
  opportunityId: string | null;
  test: string | null;
  /** `would-retry` with `dryRun`. */
  outcome: 'retried' | 'would-retry' | 'refused';
  /** The later actions of its decision, back to pending with it. */
  resumed?: string[];
  /** Why it was refused, or (dry run) the error it failed with. */
  message?: string;
}

const usage =
  'the body must be {"notAtVendor": true} (you checked at the vendor: it has none of these invitations) or {"dryRun": true}';

/**
 * The bulk path after a vendor outage: every failed send of one tenant whose failure was in doubt
 * (the vendor may have the invitation), once an operator checked at the vendor that it has none of
 * them, goes back to be sent, as `retry <id> --not-at-vendor` does one at a time. Only the tenant's
 * own, only `notAtVendor` (the vendor's ids differ per send, so `atVendor` stays one at a time), and
 * `dryRun` lists what it would do. Each action is answered for on its own: one refused (retried
 * meanwhile, say) does not stop the others.
 */
export async function retryInDoubt(
  context: { store: Store; executor: Pick<Executor, 'retry'> },
  tenant: string | undefined,
  body: unknown,
): Promise<InDoubtOutcome[]> {
  if (tenant === undefined) {
    throw new StagegateError(
      'BAD_JSON',
      'retry-in-doubt needs ?tenant=<id>: an operator checks one vendor account at a time',
    );
  }
  const { dryRun } = readBody(body);
  const inDoubt = (await context.store.listActions({ tenant, status: 'failed' }))
    .filter((record) => record.failureClass === 'in-doubt')
    .sort((a, b) => a.createdAt - b.createdAt || a.index - b.index);
  const outcomes: InDoubtOutcome[] = [];
  for (const record of inDoubt) {
    const about = { id: record.id, opportunityId: record.opportunityId, test: testOf(record) };
    if (dryRun) {
      outcomes.push({
        ...about,
        outcome: 'would-retry',
        ...(record.lastError === undefined ? {} : { message: record.lastError }),
      });
      continue;
    }
    try {
      const { action, resumed } = await context.executor.retry(record.id, { notAtVendor: true });
      outcomes.push({ ...about, id: action.id, outcome: 'retried', resumed: resumed.map((r) => r.id) });
    } catch (error) {
      const failure = toStagegateError(error);
      if (failure.code !== 'CONFLICT' && failure.code !== 'NOT_FOUND') throw failure;
      outcomes.push({ ...about, outcome: 'refused', message: failure.message });
    }
  }
  return outcomes;
}

function readBody(body: unknown): { dryRun: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new StagegateError('BAD_JSON', usage);
  }
  const fields = body as Record<string, unknown>;
  if ('atVendor' in fields) {
    throw new StagegateError(
      'BAD_JSON',
      'atVendor goes with one action at a time: the vendor gave each invitation an id of its own',
    );
  }
  const unknown = Object.keys(fields).filter((key) => key !== 'notAtVendor' && key !== 'dryRun');
  if (unknown.length > 0) throw new StagegateError('BAD_JSON', `${usage}; unknown: ${unknown.join(', ')}`);
  const { notAtVendor, dryRun } = fields;
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw new StagegateError('BAD_JSON', usage);
  if (notAtVendor !== undefined && typeof notAtVendor !== 'boolean') {
    throw new StagegateError('BAD_JSON', usage);
  }
  if (dryRun !== true && notAtVendor !== true) throw new StagegateError('BAD_JSON', usage);
  return { dryRun: dryRun === true };
}

function testOf(record: ActionRecord): string | null {
  const action = record.action as Action;
  return action.type === 'assessment.send' ? action.test : null;
}
