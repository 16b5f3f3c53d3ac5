import { describe, expect, it } from 'vitest';
import { actionPatchKeys } from '../../../src/store/patch-keys.js';
import { pickPatch } from '../../../src/store/pick-patch.js';

describe('pickPatch', () => {
  it('keeps only the allowed keys that have a value: a spread record cannot change tenant or id', () => {
    const patch = { id: 'other', tenant: 'globex', status: 'done', attempts: 2, lastError: undefined };
    expect(pickPatch(patch, actionPatchKeys)).toEqual({ status: 'done', attempts: 2 });
  });

  it('copies what it keeps: the caller changing its patch later changes nothing picked', () => {
    const result = { to: ['a@example.com'] };
    const picked = pickPatch({ result }, actionPatchKeys);
    result.to.push('b@example.com');
    expect(picked).toEqual({ result: { to: ['a@example.com'] } });
  });
});
