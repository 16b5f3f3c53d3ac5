/**
 * The console's stylesheet and its one script, served by stagegate itself (no CDN, no web fonts):
 * Content-Security-Policy allows only these, from 'self'. The script is the playground's: it posts
 * the YAML and the event as you type (debounced) and shows the answer, which the server rendered
 * and escaped. Every other page works without it.
 */
export const consoleCss = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d7dbe3; --bg: #f6f7f9;
  --accent: #1f5fbf; --ok: #1e7a3c; --bad: #b3261e; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { background: #17202f; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.2rem; align-items: center; flex-wrap: wrap; }
header a { color: #fff; text-decoration: none; }
header a:hover, header a:focus { text-decoration: underline; }
header .brand { font-weight: 700; letter-spacing: .02em; }
header form { margin-left: auto; display: flex; gap: .6rem; align-items: center; }
main { padding: 1rem 1.2rem 3rem; max-width: 78rem; }
h1 { font-size: 1.45rem; margin: .4rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, textarea { font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.muted { color: var(--muted); }
.ready { color: var(--ok); font-weight: 600; }
.not-ready, .invalid, .failed { color: var(--bad); font-weight: 600; }
.notice { background: #e7f3ea; border: 1px solid #b6dcc0; padding: .5rem .8rem; margin-bottom: 1rem; }
.problem { background: #fdecea; border: 1px solid #f3c1bc; padding: .5rem .8rem; margin-bottom: 1rem; }
.card { background: #fff; border: 1px solid var(--line); padding: .8rem 1rem; margin-bottom: 1rem; }
.why { font-size: 1.05rem; }
form.inline { display: inline-flex; gap: .4rem; align-items: center; margin: .15rem 0; }
label { font-weight: 600; }
input[type=text], input[type=search], input[type=password], select { font: inherit; padding: .3rem .45rem; border: 1px solid #9aa3b2; border-radius: 3px; }
button { font: inherit; padding: .3rem .8rem; border: 1px solid #1f4f99; background: var(--accent); color: #fff; border-radius: 3px; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
ul.trace, ul.trace ul { list-style: none; padding-left: 1.3rem; margin: .2rem 0; border-left: 1px dotted #b8c0cc; }
ul.trace { padding-left: .4rem; border-left: 0; }
ul.trace li { margin: .15rem 0; }
.mark-true { color: var(--ok); font-weight: 700; }
.mark-false { color: var(--bad); font-weight: 700; }
.mark-null { color: var(--muted); }
.pos { color: var(--muted); font-size: 12px; margin-left: .4rem; }
.playground { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1rem; }
.playground textarea { width: 100%; border: 1px solid #9aa3b2; padding: .5rem; background: #fff; }
ol.diagnostics { padding-left: 1.2rem; }
ol.diagnostics li { margin: .25rem 0; }
pre.source { margin: .2rem 0; padding: .2rem .4rem; background: #fff; border: 1px solid var(--line); overflow-x: auto; }
.diag-error { color: var(--bad); }
.diag-warning { color: var(--warn); }
button.link { background: none; border: 0; color: var(--accent); padding: 0; text-decoration: underline; }
dl.setup { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.setup dt { font-weight: 600; }
dl.setup dd { margin: 0; }
.login { max-width: 26rem; margin: 4rem auto; }
.login input { width: 100%; margin: .3rem 0 .8rem; }
`;

export const consoleJs = `
'use strict';
(function () {
  var form = document.getElementById('playground');
  if (!form) return;
  var output = document.getElementById('playground-output');
  var status = document.getElementById('playground-status');
  var yaml = document.getElementById('tenant-yaml');
  var csrf = form.querySelector('input[name=_csrf]').value;
  var timer = null;
  var asked = 0;
  function run() {
    var mine = ++asked;
    status.textContent = 'Checking...';
    fetch(form.getAttribute('data-endpoint'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ tenant: form.elements.tenant.value, yaml: yaml.value, event: form.elements.event.value })
    }).then(function (res) {
      return res.json().then(function (body) { return { ok: res.ok, body: body }; });
    }).then(function (answer) {
      if (mine !== asked) return;
      if (!answer.ok) { status.textContent = answer.body.message || 'The console refused this.'; return; }
      output.innerHTML = answer.body.html;
      status.textContent = answer.body.summary;
    }).catch(function () {
      if (mine === asked) status.textContent = 'The service did not answer.';
    });
  }
  function later() { clearTimeout(timer); timer = setTimeout(run, 300); }
  form.addEventListener('input', later);
  form.addEventListener('submit', function (event) { event.preventDefault(); run(); });
  // A diagnostic's line button puts the cursor on that line of the YAML.
  output.addEventListener('click', function (event) {
    var target = event.target.closest('button[data-line]');
    if (!target) return;
    var line = Number(target.getAttribute('data-line'));
    var lines = yaml.value.split('\\n');
    var start = 0;
    for (var n = 0; n < line - 1 && n < lines.length; n++) start += lines[n].length + 1;
    yaml.focus();
    yaml.setSelectionRange(start, start + (lines[line - 1] || '').length);
  });
  run();
})();
`;

export const consoleFavicon =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#17202f"/><path d="M4 11h8M4 8h5M4 5h8" stroke="#f0b400" stroke-width="2"/></svg>';
