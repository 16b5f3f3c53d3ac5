import type { CandidateTimeline, TimelineEntry } from '../admin/candidate-timeline.js';
import { conditionResult } from '../decide/trace-conditions.js';
import type { ConditionTrace, Decision, RuleTrace } from '../decide/types.js';
import type { DecisionRecord } from '../store/types.js';
import { formatTime, type Html, html } from './html.js';
import { searchForm } from './render-page.js';

const decisionLink = (id: string) => html`<a href="/console/decisions/${encodeURIComponent(id)}">${id}</a>`;

function entryRow(entry: TimelineEntry): Html {
  switch (entry.kind) {
    case 'delivery':
      return html`<tr><td>${formatTime(entry.at)}</td><td>delivery</td><td>${entry.event}: ${entry.status}${entry.reason ? html` — skipped: ${entry.reason}` : ''}${entry.replayedAt === undefined ? '' : html` (replayed ${formatTime(entry.replayedAt)})`}</td>
<td>${entry.decisionId ? decisionLink(entry.decisionId) : ''}</td></tr>`;
    case 'decision':
      return html`<tr><td>${formatTime(entry.at)}</td><td>decision</td><td>${
        entry.fired === undefined
          ? html`<span class="muted">purged</span>`
          : html`<strong>${(entry.reasons ?? []).join('; ')}</strong><br><span class="muted">rules fired: ${entry.fired.length === 0 ? 'none' : entry.fired.join(', ')}; actions: ${(entry.actions ?? []).length === 0 ? 'none' : (entry.actions ?? []).join(', ')}; config ${entry.configVersion ?? '-'}</span>${entry.failureOf === undefined ? '' : html`<br><span class="muted">shows the failure of action ${entry.failureOf.action}</span>`}`
      }</td><td>${decisionLink(entry.id)}</td></tr>`;
    case 'action':
      return html`<tr><td>${formatTime(entry.at)}</td><td>action</td><td>${entry.type ?? 'action'}: <span class="${entry.status}">${entry.status}</span>, ${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}${entry.lastError ? html`; last error: ${entry.lastError}` : ''}${entry.failureClass ? html` (${entry.failureClass})` : ''}${entry.nextAttemptAt === undefined ? '' : html`; next try ${formatTime(entry.nextAttemptAt)}`}</td>
<td>${decisionLink(entry.decisionId)}</td></tr>`;
    case 'invitation':
      return html`<tr><td>${formatTime(entry.at)}</td><td>invitation</td><td>${entry.test}: ${entry.status} (sent ${formatTime(entry.sentAt)})${entry.score === undefined ? '' : html`, score ${entry.score}`}${entry.reportUrl === undefined ? '' : html`, <a href="${safeUrl(entry.reportUrl)}" rel="noreferrer noopener">report</a>`}</td><td></td></tr>`;
  }
}

/** Only http(s) links are made clickable: a vendor's `javascript:` URL is shown inert. */
function safeUrl(url: string): string {
  return /^https?:\/\//i.test(url) ? url : '#';
}

/** The newest decision's reasons: the answer to "why did she get no test?" comes first. */
function latestWhy(timeline: CandidateTimeline): Html {
  const decisions = timeline.entries.filter(
    (entry): entry is Extract<TimelineEntry, { kind: 'decision' }> => entry.kind === 'decision',
  );
  const latest = decisions.at(-1);
  if (latest === undefined) return html`<p class="card">No decision was made for this candidate yet.</p>`;
  return html`<div class="card why" id="why"><strong>Latest decision (${formatTime(latest.at)}):</strong>
${latest.reasons === undefined ? html`<span class="muted">purged</span>` : html`<ul>${latest.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>`}
<a href="/console/decisions/${encodeURIComponent(latest.id)}">Open the decision and its trace</a></div>`;
}

export function renderCandidateSearch(options: {
  tenants: readonly string[];
  tenant: string | undefined;
  query: string;
  matches?: string[];
  timeline?: CandidateTimeline;
  problem?: string;
}): Html {
  const { tenant, timeline } = options;
  const matches = options.matches ?? [];
  return html`${searchForm(options.tenants, tenant, options.query)}
${options.problem ? html`<p class="problem" role="alert">${options.problem}</p>` : ''}
${
  matches.length > 1 && tenant !== undefined
    ? html`<p>Several opportunities carry this e-mail:</p><ul>${matches.map(
        (id) =>
          html`<li><a href="/console/candidates?tenant=${encodeURIComponent(tenant)}&amp;q=${encodeURIComponent(id)}">${id}</a></li>`,
      )}</ul>`
    : ''
}
${
  timeline === undefined
    ? ''
    : html`<h2>Opportunity <code>${timeline.opportunityId}</code> of ${timeline.tenant}</h2>
${latestWhy(timeline)}
<table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Detail</th><th scope="col">Decision</th></tr></thead>
<tbody>${timeline.entries.map(entryRow)}</tbody></table>`
}`;
}

function mark(result: boolean | null): Html {
  const text = result === null ? '·' : result ? '✓' : '✗';
  const label = result === null ? 'not evaluated' : result ? 'true' : 'false';
  return html`<span class="mark-${String(result)}" aria-label="${label}" title="${label}">${text}</span>`;
}

/**
 * A YAML position as a reader finds it in the repository (`rules/x.yaml:12:11`): the service loads
 * files by absolute path, which says more about the machine than the rule. The whole path is its title.
 */
function position(source: string | undefined): Html {
  if (source === undefined || source === '') return html``;
  const short = source.replace(/^.*\/(tenants|rules)\//, '$1/');
  return html`<span class="pos" title="${source}">${short}</span>`;
}

const show = (value: unknown) => (value === undefined ? 'undefined' : JSON.stringify(value));

function conditionNode(node: ConditionTrace): Html {
  const result = conditionResult(node);
  const group = node.all ? 'all of' : node.any ? 'any of' : undefined;
  if (group !== undefined) {
    return html`<li>${mark(result)} ${group}<ul>${(node.all ?? node.any ?? []).map(conditionNode)}</ul></li>`;
  }
  if (node.not) return html`<li>${mark(result)} not<ul>${conditionNode(node.not)}</ul></li>`;
  const fact = node.path ? `${node.fact} ${node.path}` : node.fact;
  const expected = 'valueResult' in node && typeof node.value === 'object' ? node.valueResult : node.value;
  return html`<li>${mark(result)} <code>${fact}</code> ${node.operator} <code>${show(expected)}</code>
 <span class="muted">(fact was <code>${show(node.factResult)}</code>)</span>${position(node.name)}</li>`;
}

/** A decision's trace as nested lists: each rule, its groups, each comparison with its YAML position. */
export function renderTrace(trace: readonly RuleTrace[]): Html {
  return html`<ul class="trace" aria-label="Rules as evaluated">${trace.map(
    (
      rule,
    ) => html`<li>${mark(rule.fired)} <strong>${rule.rule}</strong> <span class="muted">priority ${rule.priority}${rule.fired ? ', fired' : ''}</span>${position(rule.source)}
<ul>${conditionNode(rule.conditions)}</ul></li>`,
  )}</ul>`;
}

/**
 * The facts fetched only when a rule reads them (a completion's candidate, from Lever) that no rule
 * read: the decision holds placeholders for them, not what Lever would have said.
 */
function unreadFacts(decision: Decision): Html {
  const unread = Array.isArray(decision.unread) ? decision.unread.map(String) : [];
  if (unread.length === 0) return html``;
  return html`<p class="muted unread" id="unread">Not read by any rule: ${unread.join(', ')} (not fetched; their values here are placeholders).</p>`;
}

export function renderDecisionBody(decision: Decision): Html {
  return html`<h2>Why</h2><ul class="why">${decision.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>
${unreadFacts(decision)}
<h2>Actions</h2>${
    decision.actions.length === 0
      ? html`<p class="muted">None.</p>`
      : html`<ol>${decision.actions.map((action) => html`<li><code>${JSON.stringify(action)}</code></li>`)}</ol>`
  }
<h2>Trace</h2>${renderTrace(decision.trace)}`;
}

export function renderDecision(record: DecisionRecord): Html {
  const decision = record.decision as Partial<Decision> | null;
  const head = html`<p>Tenant <a href="/console/tenants/${encodeURIComponent(record.tenant)}">${record.tenant}</a> · ${formatTime(record.createdAt)}
${record.opportunityId === null ? '' : html` · opportunity <a href="/console/candidates?tenant=${encodeURIComponent(record.tenant)}&amp;q=${encodeURIComponent(record.opportunityId)}">${record.opportunityId}</a>`}
${decision?.event ? html` · event ${decision.event.type} <code>${decision.event.id}</code>` : ''}
${decision?.configVersion ? html` · config <code>${decision.configVersion}</code>` : ''}</p>
${decision?.failureOf ? html`<p>Shows the failure of action <code>${decision.failureOf.action}</code> of decision ${decisionLink(decision.failureOf.decision)}.</p>` : ''}`;
  if (!decision || !Array.isArray(decision.reasons) || !Array.isArray(decision.trace)) {
    return html`${head}<p class="muted">The candidate's data was purged: only the fact that a decision was made is kept.</p>`;
  }
  return html`${head}${renderDecisionBody(decision as Decision)}`;
}
