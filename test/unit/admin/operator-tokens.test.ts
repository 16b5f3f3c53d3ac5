import { describe, expect, it } from 'vitest';
import { createOperatorCheck, parseOperatorTokens } from '../../../src/admin/operator-tokens.js';

const token = (c: string) => c.repeat(32);

describe('operator tokens', () => {
  it('names STAGEGATE_ADMIN_TOKEN admin, beside the named ones', () => {
    const { operators, problems } = parseOperatorTokens(
      token('a'),
      ` ana:${token('b')} , ben:${token('c')},`,
    );
    expect(problems).toEqual([]);
    expect(operators.map((o) => o.name)).toEqual(['admin', 'ana', 'ben']);
  });

  it('refuses short tokens, bad names, a name or a token twice, never repeating a token', () => {
    const { operators, problems } = parseOperatorTokens(
      '',
      `ana:short,<b>:${token('d')},ben:${token('e')},ben:${token('f')},carl:${token('e')},nocolon`,
    );
    expect(operators.map((o) => o.name)).toEqual(['ben']);
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).not.toContain(token('e'));
    expect(problems[0]).toContain('(ana) needs a token of at least 32 characters, got 5');
  });

  it('tells who presents a token, and nobody for another or an empty one', () => {
    const check = createOperatorCheck([
      { name: 'ana', token: token('a') },
      { name: 'ben', token: token('b') },
    ]);
    expect(check(token('b'))).toBe('ben');
    expect(check(token('a'))).toBe('ana');
    expect(check(`${token('a')}x`)).toBeUndefined();
    expect(check('')).toBeUndefined();
    expect(check(undefined)).toBeUndefined();
  });
});
