import { describe, expect, it } from 'vitest';
import { StagegateError } from '../../../src/kernel/errors.js';
import { credentialRefusal } from '../../../src/lever/credential-refusal.js';

const leverError = (status: number, method: string, path: string) =>
  new StagegateError('LEVER_API', `Lever answered ${status} to ${method} ${path}: no`, {
    details: { status, method, path },
  });

describe('credentialRefusal: Lever refusing the key itself', () => {
  it('is a 401 to any call, or a 403 to reading an opportunity', () => {
    expect(credentialRefusal(leverError(401, 'POST', '/opportunities/o-1/addTags'))).toBe(
      'Lever refused the API key (401): Lever answered 401 to POST /opportunities/o-1/addTags: no',
    );
    expect(credentialRefusal(leverError(403, 'GET', '/opportunities/o-1'))).toBe(
      'Lever refused the API key reading an opportunity (403): Lever answered 403 to GET /opportunities/o-1: no',
    );
  });

  it('is not a 403 on a posting or a write, another status, or another kind of error', () => {
    expect(credentialRefusal(leverError(403, 'GET', '/postings/p-1'))).toBeUndefined();
    expect(credentialRefusal(leverError(403, 'GET', '/opportunities/o-1/notes'))).toBeUndefined();
    expect(credentialRefusal(leverError(403, 'POST', '/opportunities/o-1/addTags'))).toBeUndefined();
    expect(credentialRefusal(leverError(404, 'GET', '/opportunities/o-1'))).toBeUndefined();
    expect(credentialRefusal(leverError(503, 'GET', '/opportunities/o-1'))).toBeUndefined();
    expect(
      credentialRefusal(new StagegateError('LEVER_UNREACHABLE', 'timeout', { details: { status: 401 } })),
    ).toBeUndefined();
    expect(credentialRefusal(new Error('401'))).toBeUndefined();
  });
});
