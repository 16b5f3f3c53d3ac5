import type { TenantEntry } from '../config/tenant-registry.js';
import type { TenantSettings } from '../config/types.js';
import type { Decision } from '../decide/types.js';
import type { Action } from '../kernel/actions.js';
import type { ActionRecord, DecisionRecord, Store } from '../store/types.js';
import { formatTime, type Html, html } from './html.js';
import { csrfField, type PageSession, searchForm } from './render-page.js';

export const weekMs = 7 * 24 * 60 * 60 * 1000;
const defaultTagPrefix = 'Hired Assessments';

/**
 * A tenant's last seven days, from the decisions made in them: sends decided, completions, and the
 * status tags the rules gave (Pass, Fail, Error: held, no test sent); dead letters are those now.
 */
export interface WeekCounts {
  sent: number;
  completed: number;
  pass: number;
  fail: number;
  errors: number;
  /** Failed actions now, of which `inDoubt` are sends the vendor may have. */
  deadLetters: number;
  inDoubt: number;
}

export async function weekCounts(store: Store, entry: TenantEntry, now: number): Promise<WeekCounts> {
  const prefix = entry.snapshot?.settings.tagPrefix ?? defaultTagPrefix;
  const [pass, fail, error] = ['Pass', 'Fail', 'Error'].map((status) => `${prefix} - ${status}`) as [
    string,
    string,
    string,
  ];
  const activity = await store.countActivity(entry.id, now - weekMs, [pass, fail, error]);
  return {
    sent: activity.sends,
    completed: activity.completions,
    pass: activity.tagged[pass] ?? 0,
    fail: activity.tagged[fail] ?? 0,
    errors: activity.tagged[error] ?? 0,
    deadLetters: activity.deadLetters,
    inDoubt: activity.inDoubt,
  };
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

function statusBadge(status: string): Html {
  return html`<span class="${status}">${status.replace('-', ' ')}</span>`;
}

export function renderTenants(rows: { entry: TenantEntry; week: WeekCounts }[]): Html {
  const tenants = rows.map((row) => row.entry.id);
  return html`${searchForm(tenants, tenants[0], '')}
<table>
<caption class="muted">The last seven days' decisions: tests sent, completions, and the Pass, Fail and Error tags the rules gave; dead letters are the failed actions waiting now, whatever their age.</caption>
<thead><tr><th scope="col">Tenant</th><th scope="col">Status</th><th scope="col">Config version</th><th scope="col">Last error</th>
<th scope="col" class="num">Sent</th><th scope="col" class="num">Completed</th><th scope="col" class="num">Pass</th><th scope="col" class="num">Fail</th><th scope="col" class="num">Errors</th><th scope="col" class="num">Dead letters</th></tr></thead>
<tbody>${rows.map(
    ({ entry, week }) => html`<tr>
<td><a href="/console/tenants/${encodeURIComponent(entry.id)}">${entry.snapshot?.settings.displayName ?? entry.id}</a><br><code class="muted">${entry.id}</code></td>
<td>${statusBadge(entry.status)}</td>
<td><code>${entry.snapshot?.version ?? '-'}</code></td>
<td>${entry.lastError === null ? html`<span class="muted">none</span>` : html`<code>${entry.lastError}</code>`}</td>
<td class="num">${week.sent}</td><td class="num">${week.completed}</td><td class="num">${week.pass}</td><td class="num">${week.fail}</td><td class="num">${week.errors}</td>
<td class="num">${week.deadLetters}${week.inDoubt > 0 ? html`<br><span class="muted">${week.inDoubt} in doubt</span>` : ''}</td>
</tr>`,
  )}</tbody></table>`;
}

/** The tenant's set-up as an account manager would say it. */
export function describeSetup(settings: TenantSettings): Html {
  const triggers = settings.triggers.map(
    (trigger) =>
      html`<li>A candidate moved to <strong>${trigger.stage}</strong> is sent ${
        trigger.defaultTest === null
          ? html`the test a tag or the posting names (the stage has no default test)`
          : html`<strong>${trigger.defaultTest}</strong> unless a tag or the posting names another`
      }.</li>`,
  );
  const sources: Record<string, string> = {
    candidateTag: 'a tag on the candidate naming a test',
    posting: 'the posting',
    stageDefault: "the stage's default test",
  };
  const postings = Object.entries(settings.selection.postings);
  const { pass, fail } = settings.scoring;
  const prefix = settings.tagPrefix;
  const resend =
    settings.resend.policy === 'never'
      ? 'never: a candidate gets each test once'
      : settings.resend.policy === 'ifNotStarted'
        ? 'again only if the candidate has not started the last one'
        : `again once ${Math.round((settings.resend.afterMs ?? 0) / 3_600_000)} hours have passed`;
  return html`<dl class="setup">
<dt>Trigger stages</dt><dd><ul>${triggers}</ul></dd>
<dt>Which test</dt><dd>${settings.selection.precedence.map((source) => sources[source] ?? source).join(', then ')}.
  ${settings.selection.whenSeveralTags === 'hold' ? 'Several test tags: held for a person, with a note.' : 'Several test tags: the first is sent.'}</dd>
<dt>Overrides by posting</dt><dd>${
    postings.length === 0
      ? html`<span class="muted">none</span>`
      : html`<ul>${postings.map(([posting, test]) => html`<li>${posting} → <strong>${test}</strong></li>`)}</ul>`
  }</dd>
<dt>Thresholds</dt><dd>${pass === null ? 'no pass mark' : `pass at ${pass} or more`}; ${fail === null ? 'no fail mark' : `fail at ${fail} or less`}${pass !== null && fail !== null ? '; in between: Needs Review' : ''}.</dd>
<dt>Tag names</dt><dd>${['Sent', 'Needs Review', 'Pass', 'Fail', 'Error'].map((status, n) => html`${n > 0 ? ', ' : ''}<code>${prefix} - ${status}</code>`)}</dd>
<dt>Tests</dt><dd>${Object.entries(settings.tests).map(([name, test], n) => html`${n > 0 ? ', ' : ''}${name} <span class="muted">(${test.providerTestId})</span>`)}</dd>
<dt>Resend</dt><dd>${resend}</dd>
<dt>Vendor</dt><dd>${settings.provider.kind}</dd>
</dl>`;
}

function decisionRow(record: DecisionRecord): Html {
  const decision = record.decision as Partial<Decision> | null;
  const actions = Array.isArray(decision?.actions) ? decision.actions.map((a) => a.type) : [];
  return html`<tr><td>${formatTime(record.createdAt)}</td>
<td>${record.opportunityId === null ? '-' : html`<a href="/console/candidates?tenant=${encodeURIComponent(record.tenant)}&amp;q=${encodeURIComponent(record.opportunityId)}">${record.opportunityId}</a>`}</td>
<td>${decision?.event?.type ?? '-'}</td>
<td>${Array.isArray(decision?.reasons) ? decision.reasons.join('; ') : html`<span class="muted">purged</span>`}</td>
<td>${actions.length === 0 ? html`<span class="muted">none</span>` : actions.join(', ')}</td>
<td><a href="/console/decisions/${encodeURIComponent(record.id)}">trace</a></td></tr>`;
}

function actionLabel(record: ActionRecord): string {
  const action = record.action as Partial<Action> | null;
  if (action?.type === 'assessment.send') return `send ${action.test}`;
  return String(action?.type ?? 'action');
}

function deadLetterRow(
  record: ActionRecord,
  session: PageSession,
  back: string,
  cause: ActionRecord | undefined,
): Html {
  const inDoubt = record.failureClass === 'in-doubt';
  const action = `/console/actions/${encodeURIComponent(record.id)}`;
  const hidden = html`${csrfField(session)}<input type="hidden" name="back" value="${back}">`;
  const buttons = cause
    ? html`<span class="muted">Dropped when ${cause.id} failed: it comes back with that one.</span>`
    : inDoubt
      ? html`<form method="post" action="${action}/resolve" class="inline">${hidden}<input type="hidden" name="answer" value="not-at-vendor">
  <button type="submit" aria-label="Not at the vendor: send ${record.id} again">Not at vendor: send again</button></form>
<form method="post" action="${action}/resolve" class="inline">${hidden}<input type="hidden" name="answer" value="at-vendor">
  <label for="vendor-${record.id}">Vendor's invitation id</label><input id="vendor-${record.id}" type="text" name="atVendor" required size="14">
  <button type="submit" class="secondary" aria-label="At the vendor: record ${record.id} as sent">Record as sent</button></form>`
      : html`<form method="post" action="${action}/retry" class="inline">${hidden}<button type="submit" aria-label="Retry ${record.id}">Retry</button></form>`;
  return html`<tr><td><code>${record.id}</code></td>
<td>${record.opportunityId === null ? '-' : html`<a href="/console/candidates?tenant=${encodeURIComponent(record.tenant)}&amp;q=${encodeURIComponent(record.opportunityId)}">${record.opportunityId}</a>`}</td>
<td>${actionLabel(record)}</td><td>${record.attempts}</td><td>${formatTime(record.updatedAt)}</td>
<td>${record.lastError ?? ''}${inDoubt ? html`<br><strong>In doubt:</strong> check at the vendor whether the candidate has this invitation.` : ''}</td>
<td>${buttons}</td></tr>`;
}

/**
 * An OAuth tenant's link with Lever, as the tenant page shows it (read from the store, where any
 * instance records a grant Lever refused; no call to Lever; `stagegate check` asks Lever itself).
 */
export type LeverLinkState =
  | { kind: 'not-configured' }
  | { kind: 'not-connected' }
  /** `needsReconnecting`: why Lever refuses the grant now (recorded in the stored grant by whichever instance saw it), else null. */
  | { kind: 'connected'; connectedAt: number; needsReconnecting: string | null };

function leverLinkSection(tenant: string, state: LeverLinkState, session: PageSession): Html {
  if (state.kind === 'not-configured') {
    return html`<p class="muted">This tenant connects to Lever with OAuth, which is not configured on this service: the operator sets STAGEGATE_LEVER_CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI and STAGEGATE_SECRET_KEY.</p>`;
  }
  const label = state.kind === 'not-connected' ? 'Connect to Lever' : 'Reconnect to Lever';
  const primary = state.kind === 'not-connected' || state.needsReconnecting !== null;
  const button = html`<form method="post" action="/console/tenants/${encodeURIComponent(tenant)}/connect" class="inline">${csrfField(session)}<button type="submit"${primary ? '' : html` class="secondary"`}>${label}</button></form>`;
  const how = html`<p class="muted">The button opens Lever's consent page in this browser with a one-time link (what <code>stagegate connect --tenant ${tenant}</code> prints): the tenant's Lever Super Admin signs in there and allows stagegate, and Lever sends the browser back here.</p>`;
  if (state.kind === 'not-connected') {
    return html`<p><strong>Not connected</strong>: stagegate has no grant from this tenant's Lever yet; its deliveries wait until it has one. ${button}</p>${how}`;
  }
  const since = html`since ${formatTime(state.connectedAt)}`;
  return state.needsReconnecting === null
    ? html`<p><span class="ready">Connected</span> with OAuth ${since}. ${button}</p>${how}`
    : html`<p class="problem"><strong>Needs reconnecting</strong> (connected ${since}): ${state.needsReconnecting}. Its deliveries wait in the inbox until it is connected again. ${button}</p>${how}`;
}

/** The earlier failed action of the same decision that this one was dropped with, if any (see retryAction). */
function causeOf(record: ActionRecord, failed: readonly ActionRecord[]): ActionRecord | undefined {
  return failed.find((other) => other.decisionId === record.decisionId && other.index < record.index);
}

export function renderTenant(options: {
  entry: TenantEntry;
  tenants: readonly string[];
  week: WeekCounts;
  decisions: DecisionRecord[];
  deadLetters: ActionRecord[];
  session: PageSession;
  /** Only for a tenant with `lever.auth: oauth`. */
  lever?: LeverLinkState | undefined;
}): Html {
  const { entry, week, session } = options;
  const back = `/console/tenants/${encodeURIComponent(entry.id)}`;
  const setup = entry.snapshot
    ? describeSetup(entry.snapshot.settings)
    : html`<p class="problem">No version of this tenant has loaded: ${entry.lastError ?? 'see the log'}.</p>`;
  return html`<p>${statusBadge(entry.status)} · config <code>${entry.snapshot?.version ?? '-'}</code> · file <code>${entry.file}</code>
 · <a href="/console/playground?tenant=${encodeURIComponent(entry.id)}">try its rules in the playground</a></p>
${entry.lastError === null ? '' : html`<p class="problem">Last error: <code>${entry.lastError}</code></p>`}
${options.lever === undefined ? '' : html`<h2>Lever connection</h2>${leverLinkSection(entry.id, options.lever, session)}`}
${searchForm(options.tenants, entry.id, '')}
<h2>Set-up</h2><div class="card">${setup}</div>
<h2>This week</h2>
<p>${week.sent} sent, ${week.completed} completed (${week.pass} pass, ${week.fail} fail), ${plural(week.errors, 'error')} (held with the Error tag), ${plural(week.deadLetters, 'dead letter')}${week.inDoubt > 0 ? ` (${week.inDoubt} in doubt)` : ''}.</p>
<h2 id="dead-letters">Dead letters and in-doubt sends</h2>
${
  options.deadLetters.length === 0
    ? html`<p class="muted">None: every action is done or waiting its turn.</p>`
    : html`<table><thead><tr><th scope="col">Action</th><th scope="col">Opportunity</th><th scope="col">What</th><th scope="col">Attempts</th><th scope="col">Failed at</th><th scope="col">Last error</th><th scope="col">Do</th></tr></thead>
<tbody>${options.deadLetters.map((record) =>
        deadLetterRow(record, session, back, causeOf(record, options.deadLetters)),
      )}</tbody></table>`
}
<h2>Recent decisions</h2>
${
  options.decisions.length === 0
    ? html`<p class="muted">No decision yet.</p>`
    : html`<table><thead><tr><th scope="col">When</th><th scope="col">Opportunity</th><th scope="col">Event</th><th scope="col">Why</th><th scope="col">Actions</th><th scope="col">Trace</th></tr></thead>
<tbody>${options.decisions.map(decisionRow)}</tbody></table>`
}`;
}
