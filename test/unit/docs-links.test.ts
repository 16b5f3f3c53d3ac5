import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/load-shipped-tenant.js';

// The README is the front door and docs/ holds the reference it links to: a moved or renamed section
// must not leave a link to nowhere. Every relative link and anchor in README.md and docs/*.md is checked.

/** GitHub's heading anchor: lower case, punctuation dropped (not dashes), spaces as dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The text with the lines of fenced code blocks blanked, so that line numbers stay. */
function prose(text: string): string {
  let fence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fence = !fence;
        return '';
      }
      return fence ? '' : line;
    })
    .join('\n');
}

function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(text).split('\n')) {
    const heading = /^#{1,6} (.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

// A code span or a link (image links included), scanned left to right so that a link written inside
// code is not taken for one, and code inside a link's text does not hide it; a link's text may run
// over a line break.
const token = /`[^`]*`|!?\[(?:[^[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;

/**
 * `file:line: target (why)` for every relative link in `files` (absolute paths) that leads nowhere,
 * and how many relative links there were.
 */
function checkLinks(root: string, files: string[]): { broken: string[]; checked: number } {
  const broken: string[] = [];
  let checked = 0;
  for (const file of files) {
    const text = prose(readFileSync(file, 'utf8'));
    for (const match of text.matchAll(token)) {
      const target = match[1];
      if (target === undefined || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      checked += 1;
      const n = text.slice(0, match.index).split('\n').length;
      const [path = '', anchor] = target.split('#', 2);
      const at = `${relative(root, file)}:${n}: ${target}`;
      const to = path === '' ? file : resolve(dirname(file), decodeURI(path));
      if (!existsSync(to)) {
        broken.push(`${at} (no such file)`);
        continue;
      }
      if (anchor === undefined || !to.endsWith('.md')) continue;
      if (!anchorsOf(readFileSync(to, 'utf8')).has(anchor))
        broken.push(`${at} (no heading #${anchor} in ${relative(root, to)})`);
    }
  }
  return { broken, checked };
}

const docsDir = join(repoRoot, 'docs');
const documents = [
  join(repoRoot, 'README.md'),
  ...readdirSync(docsDir)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(docsDir, name)),
];

describe('links in README.md and docs/', () => {
  it('lead to a file that exists, and to a heading that exists', () => {
    expect(documents.length).toBeGreaterThan(5);
    const { broken, checked } = checkLinks(repoRoot, documents);
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('the README links every file in docs/', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const unlinked = documents
      .slice(1)
      .map((file) => relative(repoRoot, file))
      .filter((file) => !readme.includes(`](${file}`));
    expect(unlinked).toEqual([]);
  });

  it('are found broken when they are: a missing file, a missing anchor, here or there', () => {
    const root = mkdtempSync(join(tmpdir(), 'stagegate-links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(
      join(root, 'docs/a.md'),
      '# A page\n\n## Store, and more (PostgreSQL)\n\n```md\n[in code](#nowhere)\n```\n`[in a span](#nowhere)`\n',
    );
    writeFileSync(
      join(root, 'README.md'),
      [
        '# Title',
        '## Try it',
        'Fine: [here](#try-it), [there](docs/a.md#store-and-more-postgresql), [page](docs/a.md),',
        '[web](https://example.com/#x), [`code` in text](#title).',
        'Broken: [gone](docs/b.md), [no anchor](docs/a.md#store), [no anchor here](#try), ![img](docs/x.png),',
        'and [a link over',
        'two lines](#nowhere).',
      ].join('\n'),
    );
    expect(checkLinks(root, [join(root, 'README.md'), join(root, 'docs/a.md')]).broken).toEqual([
      'README.md:5: docs/b.md (no such file)',
      'README.md:5: docs/a.md#store (no heading #store in docs/a.md)',
      'README.md:5: #try (no heading #try in README.md)',
      'README.md:5: docs/x.png (no such file)',
      'README.md:6: #nowhere (no heading #nowhere in README.md)',
    ]);
  });
});
