/**
 * HTML that is safe by construction: every value put into an `html` template is escaped unless it is
 * itself Html (made by `html` or `raw`). Tenant files are untrusted input, so a tenant's name, a tag or
 * a reason goes into a page only through here.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => entities[char] ?? char);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, n) => {
    out += render(value) + (strings[n + 1] ?? '');
  });
  return new Html(out);
}

/** Markup written by stagegate itself, never anything read from a request, a file or the store. */
export function raw(text: string): Html {
  return new Html(text);
}

/** A time as UTC, to the second: the operator's staff compare it with log lines, which are UTC. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
