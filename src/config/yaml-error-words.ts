/**
 * The YAML parser's syntax errors in an account manager's words: what is wrong, how to fix it, and
 * an example of the right form. The parser's own words stay at the end of the message, so that the
 * error can still be looked up. Matched on the message, since the parser's codes (MISSING_CHAR,
 * BAD_INDENT) each cover several different mistakes.
 */
const plainWords: readonly { match: RegExp; message: string; hint: string }[] = [
  {
    match: /^Sequence item without - indicator/,
    message:
      'this line is read as a new list item, but it has no "- " and is not lined up with the item above',
    hint: 'line each key of a list item up under the first key after its "- ", or start a new item with "- ", e.g. "- stage: Onsite" then "  defaultTest: Backend - Python" on the next line',
  },
  {
    match: /^Nested mappings are not allowed in compact mappings/,
    message:
      'a value on this line holds ": " (a colon and a space), so YAML reads it as a second key on the same line',
    hint: 'quote a value that contains ": " (displayName: "Acme: Europe"), or put the inner key on its own line, indented by two more spaces (scoring: then "  pass: 70" below it); a line indented further than the one above also causes this',
  },
  {
    match: /^All mapping items must start at the same column/,
    message: 'the keys of this mapping do not all start at the same column',
    hint: 'indent every key of one mapping by the same number of spaces, e.g. "  apiKey: …" and "  baseUrl: …" both under lever:',
  },
  {
    match: /^Implicit keys need to be on a single line/,
    message:
      'a key here runs over more than one line: a line above probably lacks its ":" or is indented wrongly',
    hint: 'write each setting as "key: value" on one line (tenant: acme), with nested keys indented by two more spaces than their parent',
  },
  {
    match: /^Implicit map keys need to be followed by map values/,
    message: 'this line has a key but no ": " after it',
    hint: 'write "key: value" (tenant: acme), or "- value" for an item of a list',
  },
  {
    match: /^Missing closing "?'?quote/,
    message: 'a quoted text is not closed',
    hint: 'end it with the same quote mark on the same line: displayName: "Acme Corp"',
  },
  {
    match: /^Flow (sequence|mapping) in block collection must be sufficiently indented/,
    message: 'a list in [ ] or a mapping in { } is not closed (or its next line is not indented)',
    hint: 'close it on the same line, with commas between the entries: packs: [assessment-lifecycle] or scoring: { pass: 70, fail: 40 }',
  },
  {
    match: /^Block collections are not allowed within flow collections/,
    message:
      'inside { } or [ ] the entries need commas between them, and cannot use "- " or line-by-line nesting',
    hint: 'separate the entries with commas: scoring: { pass: 70, fail: 40 }; or write the mapping on its own lines, without the braces',
  },
  {
    match: /^Unexpected block-seq-ind on same line with key/,
    message: 'a list item ("- ") starts on the same line as its key',
    hint: 'put the items on the lines below, indented (packs: then "  - assessment-lifecycle"), or write the list in brackets: packs: [assessment-lifecycle]',
  },
  {
    match: /^Unexpected (flow-seq-end|flow-map-end|"]"|"}")/,
    message: 'a closing bracket or brace has no opening one',
    hint: 'match every [ with a ] and every { with a }: tags: { prefix: Hired Assessments }',
  },
];

const fallbackHint =
  'YAML settings are "key: value", one per line; nested keys are indented by two more spaces; list items start with "- "';

/** The parser's message -> what an account manager reads. */
export function yamlErrorInWords(parserMessage: string): { message: string; hint: string } {
  const words = plainWords.find((entry) => entry.match.test(parserMessage));
  if (!words) return { message: parserMessage, hint: fallbackHint };
  return { message: `${words.message} (YAML: ${parserMessage})`, hint: words.hint };
}
