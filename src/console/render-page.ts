import { type Html, type HtmlValue, html } from './html.js';

/** Who is signed in, and the synchronizer token every state-changing form of the page carries. */
export interface PageSession {
  operator: string;
  csrf: string;
}

/** The page chrome: navigation, who is signed in, sign-out (a form: it changes state). */
export function renderPage(options: {
  title: string;
  session: PageSession | null;
  body: HtmlValue;
  notice?: string | undefined;
  problem?: string | undefined;
  scripts?: boolean;
}): string {
  const { title, session } = options;
  const nav = session
    ? html`<nav aria-label="Console"><a href="/console">Tenants</a> · <a href="/console/candidates">Find a candidate</a> · <a href="/console/playground">Rule playground</a></nav>
      <form method="post" action="/console/logout">${csrfField(session)}<span>Signed in as <strong>${session.operator}</strong></span><button type="submit" class="secondary">Sign out</button></form>`
    : '';
  return `<!doctype html>${
    html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · stagegate console</title><link rel="stylesheet" href="/console/assets/console.css"><link rel="icon" href="/console/assets/favicon.svg"></head>
<body><header><a class="brand" href="/console">stagegate console</a>${nav}</header>
<main id="main">
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.problem ? html`<p class="problem" role="alert">${options.problem}</p>` : ''}
<h1>${title}</h1>
${options.body}
</main>${options.scripts ? html`<script src="/console/assets/console.js"></script>` : ''}</body></html>`.text
  }`;
}

export function csrfField(session: PageSession): Html {
  return html`<input type="hidden" name="_csrf" value="${session.csrf}">`;
}

/** A tenant and candidate search form, on the tenants and candidate pages. */
export function searchForm(tenants: readonly string[], tenant: string | undefined, query: string): Html {
  return html`<form method="get" action="/console/candidates" class="card" role="search">
  <label for="search-tenant">Tenant</label>
  <select id="search-tenant" name="tenant">${tenants.map(
    (id) => html`<option value="${id}"${id === tenant ? html` selected` : ''}>${id}</option>`,
  )}</select>
  <label for="search-q">Opportunity id or e-mail</label>
  <input id="search-q" type="search" name="q" value="${query}" required size="32" autocomplete="off">
  <button type="submit">Find</button>
</form>`;
}
