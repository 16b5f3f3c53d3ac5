import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tenantEnvPrefix } from '../config/resolve-secrets.js';
import { isTenantId, suggestTenantId, tenantIdMaxLength } from '../config/suggest-name.js';
import { type CliIo, exitCodes, paint } from './io.js';
import { configDirs } from './load-config-files.js';

export interface InitOptions {
  /** The customer's name as people say it; made from the id when not given. */
  displayName?: string;
  /** The vendor's partner API root: the tenant then uses greenhouse-partner there, not the sandbox. */
  vendorUrl?: string;
}

/**
 * `stagegate init <tenant>`: writes tenants/<tenant>.yaml (commented, with the schema modeline) and
 * tenants/<tenant>.test.yaml (cases that pass against it at full rule coverage), then prints the
 * variables the operator sets for it. Exit 0 written; 2 a bad id or option, nothing written; 1 a
 * file is there already, nothing written.
 */
export function initCommand(io: CliIo, id: string, options: InitOptions): number {
  const refusal = checkTenantId(id);
  if (refusal !== null) {
    io.stderr.write(`${paint(io, 'red', refusal)}\n`);
    return exitCodes.invalid;
  }
  let vendor: URL | undefined;
  if (options.vendorUrl !== undefined) {
    try {
      vendor = new URL(options.vendorUrl);
    } catch {
      vendor = undefined;
    }
    if (vendor?.protocol !== 'https:') {
      io.stderr.write(
        `${paint(io, 'red', `--vendor-url must be the vendor's https partner API root, e.g. https://assessments.vendor.example/partner; got '${options.vendorUrl}'`)}\n`,
      );
      return exitCodes.invalid;
    }
  }

  const { tenantsDir } = configDirs(io);
  const display = (path: string) => relative(io.cwd, path) || path;
  const tenantFile = join(tenantsDir, `${id}.yaml`);
  const fixtureFile = join(tenantsDir, `${id}.test.yaml`);
  const taken = [tenantFile, join(tenantsDir, `${id}.yml`), fixtureFile, join(tenantsDir, `${id}.test.yml`)]
    .filter((path) => existsSync(path))
    .map(display);
  if (taken.length > 0) {
    io.stderr.write(
      `${paint(io, 'red', `tenant ${id} exists already (${taken.join(', ')}); nothing was written`)}\n` +
        `    edit it, or pick another id; to start over, delete ${taken.join(' and ')} first\n`,
    );
    return exitCodes.failed;
  }

  const prefix = tenantEnvPrefix(id);
  const variables = [
    [
      `${prefix}LEVER_API_KEY`,
      "the customer's Lever API key (Settings > Integrations and API > API Credentials)",
    ],
    [`${prefix}LEVER_STAGE_TOKEN`, 'the signature token of the Lever webhook "Candidate Stage Change"'],
    [
      `${prefix}LEVER_ARCHIVE_TOKEN`,
      'the signature token of the Lever webhook "Candidate Archive State Change"',
    ],
    [`${prefix}LEVER_HIRED_TOKEN`, 'the signature token of the Lever webhook "Candidate Hired"'],
    [`${prefix}LEVER_DELETED_TOKEN`, 'the signature token of the Lever webhook "Candidate Deleted"'],
    ...(vendor === undefined
      ? []
      : [[`${prefix}VENDOR_KEY`, 'the API key the vendor gave for this customer']]),
  ] as const;
  const displayName = options.displayName?.trim() || nameOf(id);

  mkdirSync(tenantsDir, { recursive: true });
  // `wx`: a file that appeared since the check above is not overwritten either.
  writeFileSync(tenantFile, tenantYaml(id, displayName, prefix, vendor), { flag: 'wx' });
  writeFileSync(fixtureFile, fixtureYaml(id, vendor === undefined), { flag: 'wx' });

  const out = (line = '') => io.stdout.write(`${line}\n`);
  const width = Math.max(...variables.map(([name]) => name.length));
  out(`${paint(io, 'green', 'wrote')} ${display(tenantFile)} and ${display(fixtureFile)}`);
  out();
  out(`Variables to set where stagegate runs (tenant ${id} may read only names that start with ${prefix}):`);
  for (const [name, what] of variables) out(`  ${name.padEnd(width)}  ${what}`);
  if (vendor !== undefined) {
    out(
      `  STAGEGATE_ALLOWED_HOSTS${' '.repeat(Math.max(0, width - 23))}  must list ${vendor.hostname} (the operator's list of hosts tenants may call)`,
    );
  }
  out(`A secret may be a file instead: { file: name } reads $STAGEGATE_SECRETS_DIR/${id}/name.`);
  out();
  out('Next:');
  out(`  1. edit ${display(tenantFile)}: trigger stages, tests, thresholds (each line says what it is)`);
  out(`  2. npx stagegate validate ${display(tenantFile)}`);
  out(`  3. npx stagegate test ${display(fixtureFile)}    (change the cases as you change the tenant)`);
  out(`  4. in Lever, point the four webhooks at <STAGEGATE_PUBLIC_URL>/webhooks/lever/${id}`);
  out(`  5. with the variables set: npx stagegate check --tenant ${id}`);
  return exitCodes.ok;
}

/** Why `id` cannot be a tenant id, with a valid one to copy; null when it can. */
export function checkTenantId(id: string): string | null {
  if (isTenantId(id)) return null;
  const rule = `a tenant id is lower-case letters and digits, in words joined by single dashes, at most ${tenantIdMaxLength} characters (e.g. zeta or big-co)`;
  // The same suggestion `stagegate validate` makes for a bad `tenant:` (src/config/suggest-name.ts).
  const suggestion = suggestTenantId(id);
  const better = suggestion !== undefined && suggestion !== id ? `; try '${suggestion}'` : '';
  return `'${id}' is not a valid tenant id: ${rule}${better}`;
}

function nameOf(id: string): string {
  return id
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

function tenantYaml(id: string, displayName: string, prefix: string, vendor: URL | undefined): string {
  const provider =
    vendor === undefined
      ? `provider:
  # sandbox: built in, no vendor account, nothing leaves stagegate; complete a test by hand with
  # \`stagegate sandbox complete ${id} <invitation> --score 82\`. For the customer's vendor, use:
  #   kind: greenhouse-partner
  #   baseUrl: https://assessments.vendor.example/partner   # https; the operator allows its host
  #   apiKey: { env: ${prefix}VENDOR_KEY }
  kind: sandbox`
      : `provider:
  kind: greenhouse-partner                   # the vendor speaks Greenhouse's assessment partner protocol
  baseUrl: ${vendor.href.replace(/\/+$/, '')}
  apiKey: { env: ${prefix}VENDOR_KEY }`;
  const [python, react] = testIds(vendor === undefined);
  return `# yaml-language-server: $schema=../schemas/tenant.schema.json
# Tenant ${id}, started with \`stagegate init ${id}\`. After an edit:
#   npx stagegate validate tenants/${id}.yaml        every problem at its line, with a hint
#   npx stagegate test tenants/${id}.test.yaml       the cases beside this file (keep them in step)
# Secrets are never written here: { env: NAME } names a variable the operator sets, and this
# tenant may only read names that start with ${prefix}.
tenant: ${id}                                 # must match the file name; the webhook URL ends in /webhooks/lever/${id}
displayName: ${JSON.stringify(displayName)}
lever:
  apiKey: { env: ${prefix}LEVER_API_KEY }
  webhookTokens:                             # one Lever webhook per event, each with its signature token
    candidateStageChange: [{ env: ${prefix}LEVER_STAGE_TOKEN }]
    candidateArchiveChange: [{ env: ${prefix}LEVER_ARCHIVE_TOKEN }]
    candidateHired: [{ env: ${prefix}LEVER_HIRED_TOKEN }]
    candidateDeleted: [{ env: ${prefix}LEVER_DELETED_TOKEN }]
${provider}
tests:                                       # the tests this tenant may send, by the name Lever tags use
  "Backend - Python": { providerTestId: "${python}" }   # the vendor's id for the test
  "Frontend - React": { providerTestId: "${react}" }
triggers:                                    # Lever stage names, exactly as in Lever
  - stage: Technical Screen
    defaultTest: "Backend - Python"          # sent unless a tag on the candidate names another test
selection:
  whenSeveralTags: hold                      # two test tags: send nothing, an Error tag and a note (or: first)
scoring: { pass: 70, fail: 40 }              # score >= pass: Pass; <= fail: Fail; between: Needs Review
tags: { prefix: "Assessment" }               # tags read "Assessment - Sent", "- Pass", "- Fail", "- Needs Review", "- Error"
resend: { policy: never }                    # never | ifNotStarted | { policy: after, after: 30d }
packs: [assessment-lifecycle]                # the standard rules (rules/assessment-lifecycle.yaml)
enableRules: []                              # opt-in rules: advance-on-pass, archive-on-fail (they read options)
options: {}                                  # e.g. { stageOnPass: On-site Interview } for advance-on-pass
rules: []                                    # rules of this tenant's own, same syntax as the packs
`;
}

/** The example tests' ids: any id does for the sandbox; for a vendor, placeholders to replace. */
function testIds(sandbox: boolean): [string, string] {
  return sandbox ? ['sandbox-python', 'sandbox-react'] : ['t-101', 't-202'];
}

function fixtureYaml(id: string, sandbox: boolean): string {
  const [python, react] = testIds(sandbox);
  return `# yaml-language-server: $schema=../schemas/fixture.schema.json
# Rule test cases for tenants/${id}.yaml, started with \`stagegate init ${id}\`: each says what the rules
# do for one event. Run them with \`npx stagegate test tenants/${id}.test.yaml\`; change them when the
# tenant changes (a renamed stage or test, other thresholds, another tag prefix).
tenant: ${id}
now: "2026-01-01T00:00:00Z"
cases:
  - name: the stage's default test is sent at Technical Screen
    event: { type: candidateStageChange, stage: Technical Screen }
    expect:
      actions:
        - { type: assessment.send, test: "Backend - Python", providerTestId: ${python} }
        - { type: lever.addTags, tags: ["Assessment - Sent"] }
      fired: [send-selected-test]

  - name: a tag naming a test is sent instead of the default
    event: { type: candidateStageChange, stage: Technical Screen, tags: ["Frontend - React"] }
    expect:
      match: contains
      actions:
        - { type: assessment.send, test: "Frontend - React", providerTestId: ${react} }

  - name: two test tags are held for a person (an Error tag and a note, nothing sent)
    event: { type: candidateStageChange, stage: Technical Screen, tags: ["Backend - Python", "Frontend - React"] }
    expect:
      match: contains
      actions:
        - { type: lever.addTags, tags: ["Assessment - Error"] }
      fired: [hold-several-test-tags]
      notFired: [send-selected-test]

  - name: no test selected (forced with facts) gets an Error tag
    event: { type: candidateStageChange, stage: Technical Screen }
    facts: { selection: { test: null, held: false, reason: "forced for the test" } }
    expect:
      fired: [no-test-selected]

  - name: a candidate without an e-mail gets an Error tag and a note
    event: { type: candidateStageChange, stage: Technical Screen, email: null }
    expect:
      match: contains
      actions:
        - { type: lever.addTags, tags: ["Assessment - Error"] }
      fired: [no-email]

  - name: the same test is not sent twice
    event:
      type: candidateStageChange
      stage: Technical Screen
      invitations: [{ test: "Backend - Python", status: sent, sentAt: "2025-12-01T00:00:00Z" }]
    expect:
      actions: []
      fired: [resend-refused]

  - name: an archived candidate is sent nothing
    event: { type: candidateStageChange, stage: Technical Screen, archived: true }
    expect:
      actions: []
      fired: [candidate-archived]

  - name: other stages do nothing
    event: { type: candidateStageChange, stage: Phone Screen }
    expect:
      actions: []
      fired: [not-a-trigger-stage]

  - name: a score at the pass threshold passes, with the report link and a note
    event: { type: assessmentCompleted, test: "Backend - Python", score: 70, reportUrl: https://vendor.example/r/1, tags: ["Assessment - Sent"] }
    expect:
      match: contains
      actions:
        - { type: lever.addLinks, links: ["https://vendor.example/r/1"] }
        - { type: lever.addTags, tags: ["Assessment - Pass"] }
      fired: [report-completed, mark-pass]

  - name: a score at the fail threshold fails
    event: { type: assessmentCompleted, test: "Backend - Python", score: 40, reportUrl: https://vendor.example/r/2 }
    expect:
      match: contains
      actions:
        - { type: lever.addTags, tags: ["Assessment - Fail"] }
      fired: [mark-fail]

  - name: a score between the thresholds needs review
    event: { type: assessmentCompleted, test: "Backend - Python", score: 55, reportUrl: https://vendor.example/r/3 }
    expect:
      match: contains
      actions:
        - { type: lever.addTags, tags: ["Assessment - Needs Review"] }
      fired: [mark-needs-review]

  - name: a completion without a report link gets a note that says so
    event: { type: assessmentCompleted, test: "Backend - Python", score: 82 }
    expect:
      fired: [report-completed-without-link]
      notFired: [report-completed]

  - name: archiving cancels the invitations not yet completed
    event: { type: candidateArchiveChange, invitations: [{ id: inv-1, test: "Backend - Python", status: sent }] }
    expect:
      actions:
        - { type: invitation.cancel, invitationIds: [inv-1] }
      fired: [cancel-when-archived]

  - name: hiring cancels them too
    event: { type: candidateHired, invitations: [{ id: inv-2, test: "Backend - Python", status: started }] }
    expect:
      fired: [cancel-when-hired]

  - name: a deleted candidate's data is purged
    event: { type: candidateDeleted }
    expect:
      actions:
        - { type: candidate.purge }
      fired: [purge-when-deleted]

  - name: a send that failed for good gets the Error tag and a note saying why
    event: { type: actionFailed }
    facts: { failure: { action: assessment.send, subject: "Backend - Python", reason: "the vendor refused it", class: final } }
    expect:
      actions:
        - { type: lever.addTags, tags: ["Assessment - Error"] }
        - { type: lever.addNote, text: "stagegate could not send the assessment Backend - Python: the vendor refused it" }
      fired: [show-failure, note-failed-send]

  - name: a failed lever.addTags is shown too
    event: { type: actionFailed }
    facts: { failure: { action: lever.addTags, subject: x, reason: "Lever refused it", class: final } }
    expect: { fired: [show-failure, note-failed-add-tags] }

  - name: a failed lever.removeTags is shown too
    event: { type: actionFailed }
    facts: { failure: { action: lever.removeTags, subject: x, reason: "Lever refused it", class: final } }
    expect: { fired: [show-failure, note-failed-remove-tags] }

  - name: a failed lever.addLinks is shown too
    event: { type: actionFailed }
    facts: { failure: { action: lever.addLinks, subject: x, reason: "Lever refused it", class: final } }
    expect: { fired: [show-failure, note-failed-add-links] }

  - name: a failed lever.addNote is shown too
    event: { type: actionFailed }
    facts: { failure: { action: lever.addNote, subject: x, reason: "Lever refused it", class: final } }
    expect: { fired: [show-failure, note-failed-add-note] }

  - name: a failed lever.moveStage is shown too
    event: { type: actionFailed }
    facts: { failure: { action: lever.moveStage, subject: x, reason: "Lever refused it", class: final } }
    expect: { fired: [show-failure, note-failed-move-stage] }

  - name: a failed lever.archive is shown too
    event: { type: actionFailed }
    facts: { failure: { action: lever.archive, subject: x, reason: "Lever refused it", class: final } }
    expect: { fired: [show-failure, note-failed-archive] }

  - name: a failed invitation.cancel is shown too
    event: { type: actionFailed }
    facts: { failure: { action: invitation.cancel, subject: x, reason: "Lever refused it", class: final } }
    expect: { fired: [show-failure, note-failed-cancel] }
`;
}
