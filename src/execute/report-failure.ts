import { decide } from '../decide/decide.js';
import type { Decision } from '../decide/types.js';
import { computeFacts } from '../enrich/compute-facts.js';
import type { Action } from '../kernel/actions.js';
import { actionFailedEvent, type Facts } from '../kernel/facts.js';
import type { FailureClass } from '../kernel/failure-class.js';
import { addNoteOnce } from './actions/lever-actions.js';
import { type ActionContext, runAction } from './actions/run-action.js';

/**
 * Shows a permanent failure where recruiters look, the way the tenant's rules say: the executor
 * decides an `actionFailed` event (the failed action's decision's facts, plus `failure`: the
 * action, what it was about, the reason and the class), stores that decision (Store.recordDecision,
 * with `failureOf`) and carries out what the rules answer, at once, outside the outbox. The standard pack adds the Error status tag (which replaces the status tags the
 * candidate has now, as any added status tag does) and a note saying what failed and why.
 *
 * Best effort: if Lever itself is what fails, the failure is still in the outbox,
 * `stagegate actions list --status failed` and /metrics. A failure of the report is logged, never
 * reported again. A crash before the failure is recorded shows it again on restart: each note is
 * added once, found by its reference (`<action id> failed`).
 */
export async function reportFailure(
  action: Action,
  error: Error,
  failureClass: FailureClass,
  context: ActionContext,
): Promise<Decision | undefined> {
  const { record, tenant, log } = context;
  if (record.opportunityId === null) return undefined;
  const opportunityId = record.opportunityId;
  try {
    const facts = failureFacts(action, error, failureClass, context);
    const decided = await decide(tenant, { ...facts.event, opportunityId: record.opportunityId }, facts);
    const decision: Decision = { ...decided, failureOf: { action: record.id, decision: record.decisionId } };
    // Stored like any decision before it is carried out, so `explain --decision`, the candidate
    // timeline and the console show it (a second failure report of the action finds it stored).
    const email = context.decision.facts.candidate.email;
    await context.store.recordDecision({
      id: decision.id,
      tenant: tenant.id,
      opportunityId,
      inboxId: null,
      createdAt: context.now,
      decision,
      ...(email === null ? {} : { email }),
    });
    let notes = 0;
    for (const shown of decision.actions) {
      if (shown.type === 'assessment.send' || shown.type === 'candidate.purge') {
        // Outside the outbox, a send would not be at most once, nor a purge recorded: not here.
        log.warn({ type: shown.type, decision: decision.id }, 'a failure report may not do this: skipped');
        continue;
      }
      if (shown.type === 'lever.addNote') {
        await addNoteOnce(context.lever, opportunityId, {
          text: shown.text,
          reference: `${record.id} failed${notes > 0 ? ` ${notes + 1}` : ''}`,
          mayExist: true,
        });
        notes += 1;
        continue;
      }
      await runAction(shown, { ...context, decision });
    }
    log.info(
      { decision: decision.id, fired: decision.fired.map((rule) => rule.name) },
      decision.actions.length === 0 ? 'no rule shows the failure' : 'failure shown on the candidate',
    );
    return decision;
  } catch (reportError) {
    log.error({ err: reportError }, 'could not show the failure in Lever');
    return undefined;
  }
}

/**
 * The facts of the failed action's decision (the candidate as it saw them; groups a decision was
 * recorded without come from the tenant as it is now), with the event and what failed.
 */
function failureFacts(
  action: Action,
  error: Error,
  failureClass: FailureClass,
  context: ActionContext,
): Facts {
  const { record, tenant, decision, now } = context;
  const defaults = computeFacts(tenant, {
    event: { type: actionFailedEvent, id: record.id, triggeredAt: now },
    now,
    stage: { id: null, name: null, fromName: null },
    candidate: {
      opportunityId: record.opportunityId,
      name: null,
      email: null,
      tags: [],
      archived: false,
      postingTitle: null,
      postingNote: null,
      profileUrl: null,
    },
    invitations: [],
  });
  return {
    ...defaults,
    ...decision.facts,
    // The tenant's status tags as they are now: the Error tag it uses today, and which tags it replaces.
    statusTags: defaults.statusTags,
    event: defaults.event,
    failure: {
      actionId: record.id,
      action: action.type,
      subject: subjectOf(action),
      reason: error.message,
      class: failureClass,
    },
  };
}

/** What the action was about, as text for a note. */
function subjectOf(action: Action): string | null {
  switch (action.type) {
    case 'assessment.send':
      return action.test;
    case 'lever.addTags':
    case 'lever.removeTags':
      return action.tags.join(', ');
    case 'lever.addLinks':
      return action.links.join(', ');
    case 'lever.moveStage':
      return action.stage;
    case 'lever.archive':
      return action.reason;
    default:
      return null;
  }
}
