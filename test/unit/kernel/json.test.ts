import { describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../../src/kernel/http-auth.js';
import { isRecord, parseJson, parseJsonObject } from '../../../src/kernel/json.js';

describe('json', () => {
  it('calls only a JSON object a record', () => {
    expect([{}, { a: 1 }].map(isRecord)).toEqual([true, true]);
    expect([null, [], 'x', 1, undefined].map(isRecord)).toEqual([false, false, false, false, false]);
  });

  it('parses JSON and gives undefined for empty or broken text', () => {
    expect(parseJson('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseJson('3')).toBe(3);
    expect(parseJson('')).toBeUndefined();
    expect(parseJson('{nope')).toBeUndefined();
  });

  it('keeps only an object from parseJsonObject', () => {
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonObject('[1]')).toBeUndefined();
    expect(parseJsonObject('null')).toBeUndefined();
  });
});

describe('basicAuthorization', () => {
  it('encodes the user and an empty password by default (RFC 7617)', () => {
    expect(basicAuthorization('key')).toBe(`Basic ${Buffer.from('key:').toString('base64')}`);
    expect(basicAuthorization('ü', 'p')).toBe('Basic w7w6cA==');
  });
});
