import express, { type Router } from 'express';
import type { Diagnostic } from '../config/diagnostic.js';
import type { LoadedPack } from '../config/load-pack.js';
import { loadTenant } from '../config/load-tenant.js';
import { readYaml } from '../config/read-yaml.js';
import type { SecretSources } from '../config/resolve-secrets.js';
import { isTenantId } from '../config/suggest-name.js';
import { decide } from '../decide/decide.js';
import { StagegateError } from '../kernel/errors.js';
import { isRecord } from '../kernel/json.js';
import { buildFactInput, factsForCase } from '../rule-test/build-fact-input.js';
import { checkGivenFacts } from '../rule-test/given-facts.js';
import type { FixtureCase } from '../rule-test/types.js';
import { renderDecisionBody } from './candidate-pages.js';
import type { ConsoleKit } from './console-kit.js';
import { type Html, html } from './html.js';

/** What the playground posts: a tenant's YAML as edited in the browser, and an event to decide. */
export interface PlaygroundRequest {
  tenant: string;
  yaml: string;
  event: string;
}

export interface PlaygroundAnswer {
  /** Rendered and escaped here: the page's script puts it in place as it is. */
  html: string;
  summary: string;
  diagnostics: { line: number; col: number; code: string; message: string; severity: string; file: string }[];
  /** The decision's rules that fired, when the YAML loaded. */
  fired?: string[];
}

/** Nothing is resolved: no environment, no secret files. A missing secret is what every tenant here has. */
const noSecrets: SecretSources = { env: {}, secretsDir: null, readFile: () => ({ kind: 'missing' }) };
const maxChars = 256 * 1024;
const usage = 'the body must be {"tenant": string, "yaml": string, "event": string}';

export function readPlaygroundRequest(body: unknown): PlaygroundRequest {
  const fields = isRecord(body) ? body : {};
  const { tenant, yaml, event } = fields;
  if (typeof tenant !== 'string' || typeof yaml !== 'string' || typeof event !== 'string') {
    throw new StagegateError('BAD_JSON', usage);
  }
  if (!isTenantId(tenant)) {
    throw new StagegateError(
      'BAD_JSON',
      'tenant must be a tenant id (lower-case letters and digits, in words joined by -)',
    );
  }
  if (yaml.length > maxChars || event.length > maxChars) {
    throw new StagegateError('BAD_JSON', `the YAML and the event are limited to ${maxChars} characters each`);
  }
  return { tenant, yaml, event };
}

/**
 * Validates the YAML as the service would load it and decides the event with it, all in memory:
 * nothing is written, no secret is resolved, Lever and the vendor are not called (the event says
 * what Lever would have: stage, tags, posting, invitations, as in a rule test case).
 */
export async function runPlayground(
  request: PlaygroundRequest,
  options: { findPack(name: string): LoadedPack | undefined; packNames: readonly string[]; now: number },
): Promise<PlaygroundAnswer> {
  const file = `tenants/${request.tenant}.yaml`;
  const load = loadTenant({
    file,
    text: request.yaml,
    findPack: options.findPack,
    packNames: options.packNames,
    secrets: noSecrets,
    allowedHosts: 'unchecked',
  });
  const shown = load.diagnostics.filter((d) => d.code !== 'missing-secret');
  const eventYaml = readYaml('event.yaml', request.event);
  const eventProblems: Diagnostic[] = [...eventYaml.diagnostics];
  const data = eventYaml.data as Record<string, unknown> | null | undefined;
  const isMapping = isRecord(data);
  if (eventYaml.data !== undefined && (!isMapping || typeof data.type !== 'string')) {
    eventProblems.push({
      file: 'event.yaml',
      line: 1,
      col: 1,
      code: 'schema',
      message: 'the event must be a mapping with a type (candidateStageChange, assessmentCompleted, …)',
      path: '',
      severity: 'error',
    });
  }
  const { facts: given, ...event } = isMapping ? data : {};
  if (isMapping && given !== undefined) {
    for (const d of checkGivenFacts(given, eventYaml, ['facts'])) eventProblems.push(d);
  }
  const diagnostics = [...shown, ...eventProblems];
  const list = diagnostics.map((d) => ({
    line: d.line,
    col: d.col,
    code: d.code,
    message: d.message,
    severity: d.severity,
    file: d.file,
  }));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (load.snapshot === null || eventProblems.some((d) => d.severity === 'error')) {
    return {
      html: html`${renderDiagnostics(diagnostics, request.yaml)}<p class="muted">No decision: fix the errors first.</p>`
        .text,
      summary: `${errors} error${errors === 1 ? '' : 's'}; no decision`,
      diagnostics: list,
    };
  }
  const testCase: FixtureCase = {
    name: 'playground',
    event: event as unknown as FixtureCase['event'] & object,
    expect: {},
  };
  const input = buildFactInput(testCase, 0, options.now);
  const facts = factsForCase(load.snapshot, input, given as Record<string, unknown> | undefined);
  const decision = await decide(
    load.snapshot,
    { ...facts.event, opportunityId: facts.candidate.opportunityId },
    facts,
  );
  const fired = decision.fired.map((rule) => rule.name);
  return {
    html: html`${renderDiagnostics(diagnostics, request.yaml)}${renderDecisionBody(decision)}`.text,
    summary: `${diagnostics.length === 0 ? 'no problems' : `${diagnostics.length} warning${diagnostics.length === 1 ? '' : 's'}`}; ${fired.length === 0 ? 'no rule fired' : `fired: ${fired.join(', ')}`}`,
    diagnostics: list,
    fired,
  };
}

function renderDiagnostics(diagnostics: readonly Diagnostic[], yaml: string): Html {
  const lines = yaml.split('\n');
  if (diagnostics.length === 0) return html`<h2>Diagnostics</h2><p class="muted">None: the file loads.</p>`;
  return html`<h2>Diagnostics</h2><ol class="diagnostics">${diagnostics.map(
    (d) =>
      html`<li class="diag-${d.severity}">${
        d.file === 'event.yaml'
          ? html`event line ${d.line}, col ${d.col}`
          : html`<button type="button" class="link" data-line="${d.line}">line ${d.line}, col ${d.col}</button>`
      }: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}${d.path === '' ? '' : html` (at <code>${d.path}</code>)`} <span class="muted">[${d.code}]</span>${d.hint ? html`<br><span class="muted">hint: ${d.hint}</span>` : ''}${
        d.file !== 'event.yaml' && lines[d.line - 1] !== undefined
          ? html`<pre class="source"><span class="muted">${String(d.line).padStart(4)} | </span>${lines[d.line - 1]}</pre>`
          : ''
      }</li>`,
  )}</ol>`;
}

/** The playground's page: the YAML and the event, side by side with what they give. */
export function renderPlayground(options: {
  tenants: readonly string[];
  tenant: string;
  yaml: string;
  event: string;
  csrf: string;
}): Html {
  return html`<p>Edit a tenant's YAML and an event; the diagnostics and the decision follow as you type. Nothing is saved, no secret is read, Lever is not called.</p>
<form method="get" action="/console/playground" class="card"><label for="playground-tenant">Start from tenant</label>
<select id="playground-tenant" name="tenant">${options.tenants.map((id) => html`<option value="${id}"${id === options.tenant ? html` selected` : ''}>${id}</option>`)}</select>
<button type="submit" class="secondary">Load its file</button></form>
<form id="playground" data-endpoint="/console/playground/decide" method="post" action="/console/playground/decide">
<input type="hidden" name="_csrf" value="${options.csrf}"><input type="hidden" name="tenant" value="${options.tenant}">
<p id="playground-status" role="status" aria-live="polite" class="muted"></p>
<div class="playground">
<div><label for="tenant-yaml">Tenant YAML (tenants/${options.tenant}.yaml)</label>
<textarea id="tenant-yaml" name="yaml" rows="30" spellcheck="false">${options.yaml}</textarea>
<label for="event-yaml">Event</label>
<textarea id="event-yaml" name="event" rows="9" spellcheck="false">${options.event}</textarea>
<button type="submit">Decide</button></div>
<div id="playground-output" aria-live="polite"><p class="muted">Needs JavaScript to decide as you type.</p></div>
</div></form>`;
}

const defaultEvent = (stage: string) =>
  `# A move as Lever would report it; add tags, posting, invitations, email: null …
type: candidateStageChange
stage: ${JSON.stringify(stage)}
email: ada@example.com
tags: []
`;

/** The rule playground: the page (a tenant's file as on disk, an event) and its decide call (JSON, CSRF). */
export function addPlaygroundRoutes(router: Router, kit: ConsoleKit): void {
  const { registry, clock } = kit.options;

  router.get('/playground', async (req, res) => {
    const tenants = kit.tenantIds();
    const wanted = typeof req.query.tenant === 'string' ? req.query.tenant : tenants[0];
    const entry = wanted === undefined ? undefined : registry.get(wanted);
    if (entry === undefined) throw new StagegateError('NOT_FOUND', `No tenant ${wanted ?? ''} is loaded.`);
    const yaml = (await kit.options.readTenantFile(entry)) ?? '';
    const stage = entry.snapshot?.settings.triggers[0]?.stage ?? 'Technical Screen';
    const body = renderPlayground({
      tenants,
      tenant: entry.id,
      yaml,
      event: defaultEvent(stage),
      csrf: kit.pageSession(res).csrf,
    });
    kit.send(res, 200, { title: 'Rule playground', session: kit.pageSession(res), body, scripts: true });
  });
  router.post('/playground/decide', express.json({ limit: '600kb' }), kit.checkCsrf, async (req, res) => {
    const request = readPlaygroundRequest(req.body);
    const packs = await kit.options.readPacks();
    res.json(
      await runPlayground(request, {
        findPack: (name) => packs.get(name),
        packNames: [...packs.keys()],
        now: clock.now(),
      }),
    );
  });
}
