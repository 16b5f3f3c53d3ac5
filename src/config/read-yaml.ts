import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar, visit } from 'yaml';
import { type Diagnostic, type DiagnosticCode, formatYamlPath } from './diagnostic.js';
import { yamlErrorInWords } from './yaml-error-words.js';

export type YamlPath = readonly (string | number)[];

export interface YamlFile {
  file: string;
  /** The parsed value, or undefined when the file has syntax errors. */
  data: unknown;
  diagnostics: Diagnostic[];
  /** Line and column of the node at `path` (its key when `at` is 'key'); the nearest ancestor if absent. */
  locate(path: YamlPath, at?: 'key' | 'value'): { line: number; col: number };
}

export const yamlLimits = {
  maxBytes: 1_000_000,
  maxAliasCount: 100,
  maxDepth: 64,
  maxDiagnostics: 100,
} as const;

const yaml11Booleans = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const yaml11Date = /^\d{4}-\d{1,2}-\d{1,2}([Tt ]|$)/;

/**
 * Parses YAML with positions kept (the `yaml` package, not js-yaml: every error must name a line
 * and column). Never throws: every problem becomes a diagnostic.
 */
export function readYaml(file: string, text: string): YamlFile {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number) => lineCounter.linePos(offset);
  const problem = (code: DiagnosticCode, offset: number, message: string, hint?: string) => {
    if (diagnostics.length >= yamlLimits.maxDiagnostics) return;
    const { line, col } = at(offset);
    diagnostics.push({
      file,
      line,
      col,
      code,
      message,
      path: '',
      severity: 'error',
      ...(hint ? { hint } : {}),
    });
  };
  const empty: YamlFile = { file, data: undefined, diagnostics, locate: () => ({ line: 1, col: 1 }) };

  if (Buffer.byteLength(text) > yamlLimits.maxBytes) {
    diagnostics.push({
      file,
      line: 1,
      col: 1,
      code: 'too-large',
      path: '',
      severity: 'error',
      message: `the file is ${Buffer.byteLength(text)} bytes; the limit is ${yamlLimits.maxBytes}`,
      hint: 'split the rules into a pack under rules/',
    });
    return empty;
  }
  const depth = flowNestingDepth(text);
  if (depth > yamlLimits.maxDepth) {
    diagnostics.push({
      file,
      line: 1,
      col: 1,
      code: 'too-large',
      path: '',
      severity: 'error',
      message: `nesting is ${depth} levels deep; the limit is ${yamlLimits.maxDepth}`,
    });
    return empty;
  }

  let doc: ReturnType<typeof parseDocument>;
  try {
    // Duplicate keys are found below: the yaml package's own check is quadratic in the keys of a map.
    doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, version: '1.2' });
  } catch (error) {
    problem('yaml-syntax', 0, `the YAML parser gave up: ${(error as Error).message}`);
    return empty;
  }

  text.split('\n').reduce((offset, line) => {
    const indent = /^[ \t]*/.exec(line)?.[0] ?? '';
    const tab = indent.indexOf('\t');
    if (tab >= 0)
      problem('tab-indent', offset + tab, 'a tab is used for indentation', 'indent with spaces only');
    return offset + line.length + 1;
  }, 0);

  const badByte = text.indexOf('\uFFFD');
  if (badByte >= 0) {
    problem(
      'yaml-syntax',
      badByte,
      'the file is not valid UTF-8 (a byte could not be decoded)',
      'save the file as UTF-8',
    );
  }
  let unreadable = diagnostics.length > 0;
  for (const error of doc.errors) {
    if (error.code === 'TAB_AS_INDENT') continue;
    if (error.code === 'DUPLICATE_KEY') {
      problem(
        'duplicate-key',
        error.pos[0],
        'this key appears twice in the same mapping',
        'keep one of them',
      );
    } else {
      unreadable = true;
      const words = yamlErrorInWords(firstLine(error.message));
      problem('yaml-syntax', error.pos[0], words.message, words.hint);
    }
  }

  if (!unreadable && nodeDepthExceeds(doc.contents, yamlLimits.maxDepth)) {
    // Checked on the nodes, keys included, before toJS: converting deeply nested keys is exponential.
    problem('too-large', 0, `nesting is deeper than ${yamlLimits.maxDepth} levels`);
    return empty;
  }

  visit(doc, {
    Alias(_key, node) {
      // An alias inside its own anchor makes a loop: the data would have no end.
      const target = node.resolve(doc);
      const [start, end] = node.range ?? [0, 0];
      if (target?.range && start >= target.range[0] && end <= target.range[1]) {
        unreadable = true;
        problem(
          'yaml-syntax',
          start,
          `the alias *${node.source} is inside the node its anchor names, so it refers to itself`,
          'an alias may only repeat a node it is not part of',
        );
      }
    },
    Map(_key, node) {
      const seen = new Map<unknown, number>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const offset = pair.key.range?.[0] ?? 0;
        const first = seen.get(pair.key.value);
        if (first !== undefined) {
          const { line, col } = at(first);
          problem(
            'duplicate-key',
            offset,
            `the key '${String(pair.key.value)}' appears twice in this mapping; the first is at line ${line}:${col}`,
            'keep one of them (merge the two if both hold something you need)',
          );
        } else {
          seen.set(pair.key.value, offset);
        }
      }
    },
    Scalar(_key, node) {
      if (node.type !== Scalar.PLAIN || typeof node.source !== 'string' || !node.range) return;
      if (yaml11Booleans.test(node.source)) {
        problem(
          'yaml11-value',
          node.range[0],
          `'${node.source}' is text here, but YAML 1.1 tools read it as ${/^[yYoO]/.test(node.source) && node.source.toLowerCase() !== 'off' ? 'true' : 'false'}`,
          `write true/false for a yes/no setting, or quote it ("${node.source}") for text`,
        );
      } else if (yaml11Date.test(node.source)) {
        problem(
          'yaml11-value',
          node.range[0],
          `'${node.source}' looks like a date`,
          `quote it: "${node.source}"`,
        );
      }
    },
  });

  if (unreadable) return empty;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: yamlLimits.maxAliasCount });
  } catch (error) {
    problem('too-large', 0, firstLine((error as Error).message), 'expand the aliases by hand');
    return empty;
  }
  if (valueDepth(data) > yamlLimits.maxDepth) {
    problem('too-large', 0, `nesting is deeper than ${yamlLimits.maxDepth} levels`);
    return empty;
  }

  const locate = (path: YamlPath, where: 'key' | 'value' = 'value') => {
    let node: unknown = doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
        );
        if (!pair) break;
        const keyStart = rangeStart(pair.key);
        const valueStart = rangeStart(pair.value);
        offset =
          (segment === path[path.length - 1] && where === 'key' ? keyStart : (valueStart ?? keyStart)) ??
          offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (item === undefined) break;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return at(offset);
  };
  return { file, data, diagnostics, locate };
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

function nodeDepthExceeds(node: unknown, budget: number): boolean {
  if (budget < 0) return true;
  if (isMap(node)) {
    return node.items.some(
      (pair) => nodeDepthExceeds(pair.key, budget - 1) || nodeDepthExceeds(pair.value, budget - 1),
    );
  }
  if (isSeq(node)) return node.items.some((item) => nodeDepthExceeds(item, budget - 1));
  if (isPair(node)) return nodeDepthExceeds(node.key, budget - 1) || nodeDepthExceeds(node.value, budget - 1);
  return false;
}

/** How deep the data nests below `value`; each object is measured once, however often aliases repeat it. */
function valueDepth(value: unknown, measured = new WeakMap<object, number>()): number {
  if (value === null || typeof value !== 'object') return 0;
  const known = measured.get(value);
  if (known !== undefined) return known;
  // Seen but not yet measured: a loop. It was refused above; count it as too deep all the same.
  measured.set(value, Number.POSITIVE_INFINITY);
  let max = 0;
  for (const child of Object.values(value)) {
    max = Math.max(max, 1 + valueDepth(child, measured));
    if (max > yamlLimits.maxDepth) break;
  }
  measured.set(value, max);
  return max;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** The deepest nesting of flow collections ([ and {), counted outside quotes; a cheap guard before parsing. */
function flowNestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote: string | null = null;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '[' || char === '{') {
      max = Math.max(max, ++depth);
    } else if (char === ']' || char === '}') {
      depth = Math.max(0, depth - 1);
    } else if (char === '\n') {
      quote = null;
    }
  }
  return max;
}

export type ReportError = (
  code: DiagnosticCode,
  path: YamlPath,
  message: string,
  hint?: string,
  where?: 'key' | 'value',
) => void;

/** An error reporter for checks that run after parsing: each error lands in `out`, located in `yaml`. */
export function createErrorReporter(yaml: YamlFile, out: Diagnostic[]): ReportError {
  return (code, path, message, hint, where = 'value') => {
    out.push({
      file: yaml.file,
      ...yaml.locate(path, where),
      code,
      message,
      path: formatYamlPath(path),
      severity: 'error',
      ...(hint === undefined ? {} : { hint }),
    });
  };
}
