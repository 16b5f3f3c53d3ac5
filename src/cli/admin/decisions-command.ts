import type { Decision } from '../../decide/types.js';
import { isRecord } from '../../kernel/json.js';
import type { DecisionRecord } from '../../store/types.js';
import { formatDecision } from '../explain-command.js';
import { type CliIo, exitCodes } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';

/** `stagegate decisions show <id> [--json]`: a recorded decision, as `explain` prints one. */
export async function showDecisionCommand(
  io: CliIo,
  id: string,
  options: AdminTarget & { json?: boolean },
): Promise<number> {
  const answer = await callAdmin<{ decision: DecisionRecord }>(
    io,
    options,
    'GET',
    `/decisions/${encodeURIComponent(id)}`,
  );
  if (!answer.ok) return answer.code;
  const record = answer.body.decision;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
  } else if (isDecision(record.decision)) {
    io.stdout.write(formatDecision(io, record.decision));
  } else {
    // Purged decisions keep only a marker: there is nothing to format.
    io.stdout.write(
      `decision ${record.id}  tenant ${record.tenant}: no details kept\n${JSON.stringify(record.decision)}\n`,
    );
  }
  return exitCodes.ok;
}

function isDecision(value: unknown): value is Decision {
  if (!isRecord(value)) return false;
  const decision = value as Partial<Decision>;
  return (
    typeof decision.event === 'object' &&
    Array.isArray(decision.actions) &&
    Array.isArray(decision.reasons) &&
    Array.isArray(decision.trace)
  );
}
