import type { CandidateSearch } from '../../admin/candidate-routes.js';
import type { CandidateTimeline, TimelineEntry } from '../../admin/candidate-timeline.js';
import { type CliIo, exitCodes, paint } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';

/**
 * `stagegate candidate --tenant X <opportunityId|email> [--json]`: what stagegate did for a
 * candidate and why, one line per delivery, decision, action and invitation, in time order. An
 * argument with an `@` is an e-mail; when several opportunities carry it, they are listed.
 */
export async function candidateCommand(
  io: CliIo,
  who: string,
  options: AdminTarget & { tenant: string; json?: boolean },
): Promise<number> {
  const tenant = encodeURIComponent(options.tenant);
  let timeline: CandidateTimeline;
  if (who.includes('@')) {
    const answer = await callAdmin<CandidateSearch>(
      io,
      options,
      'GET',
      `/tenants/${tenant}/candidates?email=${encodeURIComponent(who)}`,
    );
    if (!answer.ok) return answer.code;
    const { opportunityIds } = answer.body;
    if (answer.body.timeline === undefined) {
      if (options.json) {
        io.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
        return opportunityIds.length === 0 ? exitCodes.failed : exitCodes.ok;
      }
      if (opportunityIds.length === 0) {
        io.stderr.write(
          `tenant ${options.tenant} has no candidate with the e-mail ${who} (or the candidate was purged)\n`,
        );
        return exitCodes.failed;
      }
      io.stdout.write(
        `${opportunityIds.length} opportunities carry ${who}; show one with stagegate candidate --tenant ${options.tenant} <id>:\n` +
          opportunityIds.map((id) => `  ${id}\n`).join(''),
      );
      return exitCodes.ok;
    }
    timeline = answer.body.timeline;
  } else {
    const answer = await callAdmin<CandidateTimeline>(
      io,
      options,
      'GET',
      `/tenants/${tenant}/candidates/${encodeURIComponent(who)}`,
    );
    if (!answer.ok) return answer.code;
    timeline = answer.body;
  }
  io.stdout.write(options.json ? `${JSON.stringify(timeline, null, 2)}\n` : formatTimeline(io, timeline));
  return exitCodes.ok;
}

/** The timeline as a story: a heading, then one line per entry, each starting with its UTC time. */
export function formatTimeline(io: CliIo, timeline: CandidateTimeline): string {
  const lines = [
    paint(io, 'bold', `candidate ${timeline.opportunityId}  tenant ${timeline.tenant}`),
    ...timeline.entries.map((entry) => `${formatTime(entry.at)}  ${describeEntry(io, entry)}`),
  ];
  return `${lines.join('\n')}\n`;
}

function describeEntry(io: CliIo, entry: TimelineEntry): string {
  switch (entry.kind) {
    case 'delivery': {
      const replayed = entry.replayedAt === undefined ? '' : ` (replayed ${formatTime(entry.replayedAt)})`;
      if (entry.status === 'done') return `delivery ${entry.event}  decided${replayed}`;
      if (entry.status === 'skipped')
        return `delivery ${entry.event}  ${paint(io, 'yellow', 'skipped')}: ${entry.reason ?? '(no reason kept)'}${replayed}  → stagegate inbox replay ${entry.id}`;
      return `delivery ${entry.event}  pending (the worker has not decided it yet)${replayed}`;
    }
    case 'decision': {
      if (entry.fired === undefined) return `decision ${entry.id}  (details purged)`;
      const config = entry.configVersion === undefined ? '' : `  (config ${entry.configVersion})`;
      const why = (entry.reasons ?? []).join('; ');
      const fired = entry.fired.length === 0 ? 'no rule fired' : `fired ${entry.fired.join(', ')}`;
      const failure =
        entry.failureOf === undefined ? '' : `  (shows the failure of action ${entry.failureOf.action})`;
      return `decision ${entry.id} ${fired}: ${why}${config}${failure}`;
    }
    case 'action':
      return `action ${entry.type ?? '(purged)'}  ${describeAction(io, entry)}`;
    case 'invitation': {
      const score = entry.score === undefined ? '' : `  score ${entry.score}`;
      const report = entry.reportUrl === undefined ? '' : `  report ${entry.reportUrl}`;
      return `invitation ${entry.id} ${entry.test}  ${entry.status}${score}${report}`;
    }
  }
}

function describeAction(io: CliIo, entry: Extract<TimelineEntry, { kind: 'action' }>): string {
  const error = entry.lastError === undefined ? '' : `: ${entry.lastError}`;
  const attempts = `${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}`;
  switch (entry.status) {
    case 'done':
      return `done (${attempts})`;
    case 'running':
      return `running (${attempts})`;
    case 'pending': {
      const next = entry.nextAttemptAt === undefined ? '' : `, next try ${formatTime(entry.nextAttemptAt)}`;
      return `pending (${attempts}${next})${error}`;
    }
    case 'failed': {
      const failed = paint(
        io,
        'red',
        `failed${entry.failureClass === undefined ? '' : ` (${entry.failureClass})`}`,
      );
      // A send in doubt is sent again only once someone checked the vendor does not have it; a
      // final failure is not retried as it is (the cause is to be fixed first).
      if (entry.failureClass === 'in-doubt')
        return `${failed}${error}  → check at the vendor, then stagegate actions retry ${entry.id} --not-at-vendor (or --at-vendor <id>)`;
      if (entry.failureClass === 'final') return `${failed}${error}`;
      return `${failed}${error}  → stagegate actions retry ${entry.id}`;
    }
  }
}

/** `2026-12-02 10:04:11`, in UTC like the service's logs. */
function formatTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}
