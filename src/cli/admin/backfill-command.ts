import type { BackfillReport } from '../../run/backfill-stage.js';
import { type CliIo, exitCodes, paint } from '../io.js';
import { type AdminTarget, callAdmin } from './call-admin.js';
import { clip, formatTable } from './format-table.js';

/**
 * `stagegate backfill --tenant ID [--stage NAME] [--dry-run [--explain]] [--json]`: the candidates
 * already sitting in the tenant's trigger stages go through the rules as if they had just arrived.
 */
export async function backfillCommand(
  io: CliIo,
  options: AdminTarget & {
    tenant: string;
    stage?: string;
    dryRun?: boolean;
    explain?: boolean;
    json?: boolean;
  },
): Promise<number> {
  if (options.explain === true && options.dryRun !== true) {
    io.stderr.write('--explain goes with --dry-run: a real backfill lets the service decide\n');
    return exitCodes.invalid;
  }
  const answer = await callAdmin<BackfillReport>(io, options, 'POST', '/backfill', {
    tenant: options.tenant,
    dryRun: options.dryRun === true,
    ...(options.stage === undefined ? {} : { stage: options.stage }),
    ...(options.explain === true ? { explain: true } : {}),
  });
  if (!answer.ok) return answer.code;
  const report = answer.body;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return exitCodes.ok;
  }
  const lines: string[] = [];
  for (const stage of report.stages) {
    const count = (outcome: string) => stage.opportunities.filter((o) => o.outcome === outcome).length;
    const summary = report.dryRun
      ? `would queue ${count('wouldQueue')}, already queued ${count('duplicate')}, archived ${count('archived')}`
      : `queued ${count('queued')}, already queued ${count('duplicate')}, archived ${count('archived')}`;
    lines.push(`${paint(io, 'bold', stage.stage)} (${stage.stageId}): ${summary}`);
    if (stage.opportunities.length > 0) {
      const rows = stage.opportunities.map((o) => [o.id, o.name, o.outcome, previewText(o.preview)]);
      const table = formatTable(
        ['OPPORTUNITY', 'NAME', 'OUTCOME', report.dryRun ? 'WOULD DECIDE' : ''],
        rows,
      );
      lines.push(table.trimEnd().replace(/^/gm, '  '));
    }
  }
  if (report.dryRun) lines.push(paint(io, 'dim', 'dry run: nothing was queued'));
  io.stdout.write(`${lines.join('\n')}\n`);
  return exitCodes.ok;
}

function previewText(preview: BackfillReport['stages'][number]['opportunities'][number]['preview']): string {
  if (preview === undefined) return '';
  if ('skip' in preview) return clip(`skip: ${preview.skip}`, 80);
  const actions = preview.actions.map((action) => action.type).join(', ');
  return clip(actions === '' ? `nothing: ${preview.reasons.join('; ')}` : actions, 80);
}
