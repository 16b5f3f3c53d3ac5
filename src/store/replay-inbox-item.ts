import { StagegateError } from '../kernel/errors.js';
import type { InboxItem } from './types.js';

/**
 * The change replayInbox makes to a skipped item, the same on every backend: pending again, due
 * now, its skip reason gone (the log line of the replay keeps it). Anything but a skipped item is
 * refused: a decided one has its decision and actions already, and a pending one is queued.
 */
export function replayInboxItem(item: InboxItem, now: number): void {
  if (item.status !== 'skipped') {
    throw new StagegateError(
      'CONFLICT',
      item.status === 'done'
        ? `inbox item ${item.id} was decided (decision ${item.decisionId ?? '?'}): only a skipped delivery can be replayed`
        : `inbox item ${item.id} is pending already: the worker has it`,
      { details: { id: item.id, status: item.status } },
    );
  }
  item.status = 'pending';
  delete item.reason;
  item.replayedAt = now;
}
