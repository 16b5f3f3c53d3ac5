import { describe, expect, it } from 'vitest';
import { StagegateError } from '../../../src/kernel/errors.js';
import {
  classifyFacts,
  classifyFailure,
  type FailureClass,
  withFailureClass,
} from '../../../src/kernel/failure-class.js';

const once = { idempotent: false };
const repeatable = { idempotent: true };

describe('classifyFacts: what a failed call leaves behind', () => {
  // [what happened, for a call that must not be repeated (send_test, a note), for an idempotent one]
  const table: Array<[string, Parameters<typeof classifyFacts>[0], FailureClass, FailureClass]> = [
    ['429: not processed', { code: 'PROVIDER_API', status: 429 }, 'retry-safe', 'retry-safe'],
    ['503: not processed', { code: 'LEVER_API', status: 503 }, 'retry-safe', 'retry-safe'],
    [
      'no connection made',
      { code: 'PROVIDER_API', status: null, reason: 'refused' },
      'retry-safe',
      'retry-safe',
    ],
    [
      'Lever: no connection made',
      { code: 'LEVER_UNREACHABLE', reason: 'refused' },
      'retry-safe',
      'retry-safe',
    ],
    ['500 after the call', { code: 'PROVIDER_API', status: 500 }, 'in-doubt', 'retry-safe'],
    ['502 after the call', { code: 'PROVIDER_API', status: 502 }, 'in-doubt', 'retry-safe'],
    ['504 after the call', { code: 'LEVER_API', status: 504 }, 'in-doubt', 'retry-safe'],
    ['a timeout', { code: 'PROVIDER_API', status: null, reason: 'timeout' }, 'in-doubt', 'retry-safe'],
    ['a broken connection', { code: 'LEVER_UNREACHABLE', reason: 'network' }, 'in-doubt', 'retry-safe'],
    ['Lever unreachable, no reason', { code: 'LEVER_UNREACHABLE' }, 'in-doubt', 'retry-safe'],
    ['an unreadable 2xx', { code: 'PROVIDER_API', status: 200, reason: 'malformed' }, 'in-doubt', 'final'],
    ['400', { code: 'PROVIDER_API', status: 400 }, 'final', 'final'],
    ['401', { code: 'LEVER_API', status: 401 }, 'final', 'final'],
    ['404', { code: 'LEVER_API', status: 404 }, 'final', 'final'],
    ['409', { code: 'PROVIDER_API', status: 409 }, 'final', 'final'],
    ['no status, no reason', { code: 'INTERNAL' }, 'final', 'final'],
    ['the tenant not ready', { code: 'TENANT_NOT_READY' }, 'retry-safe', 'retry-safe'],
    ['the store failing', { code: 'STORE_FAILED' }, 'retry-safe', 'retry-safe'],
  ];

  it.each(table)('%s', (_what, facts, whenOnce, whenRepeatable) => {
    expect(classifyFacts(facts, once)).toBe(whenOnce);
    expect(classifyFacts(facts, repeatable)).toBe(whenRepeatable);
  });
});

describe('classifyFailure: any thrown error', () => {
  it('reads the facts of an error that carries no class', () => {
    const error = new StagegateError('PROVIDER_API', 'bad gateway', { details: { status: 502 } });
    expect(classifyFailure(error, once)).toBe('in-doubt');
    expect(classifyFailure(error, repeatable)).toBe('retry-safe');
  });

  it('keeps the class an error was given where it was raised, over its facts', () => {
    const final = new StagegateError('PROVIDER_API', 'no e-mail', {
      details: { status: 503, failureClass: 'final' },
    });
    expect(classifyFailure(final, once)).toBe('final');
    const safe = new StagegateError('LEVER_API', 'x', {
      details: { status: 500, failureClass: 'retry-safe' },
    });
    expect(classifyFailure(safe, once)).toBe('retry-safe');
  });

  it('turns in-doubt into retry-safe only for a caller whose next try looks first', () => {
    const error = new StagegateError('LEVER_API', 'x', {
      details: { status: 429, failureClass: 'in-doubt' },
    });
    expect(classifyFailure(error, once)).toBe('in-doubt');
    expect(classifyFailure(error, repeatable)).toBe('retry-safe');
  });

  it('ignores a class it does not know, and calls anything but a StagegateError final', () => {
    const odd = new StagegateError('PROVIDER_API', 'x', { details: { status: 429, failureClass: 'maybe' } });
    expect(classifyFailure(odd, once)).toBe('retry-safe');
    expect(classifyFailure(new TypeError('bug'), repeatable)).toBe('final');
    expect(classifyFailure('thrown text', repeatable)).toBe('final');
  });

  it('withFailureClass: a copy with the class, the original as its cause', () => {
    const error = new StagegateError('LEVER_API', 'Lever answered 502', {
      details: { status: 502, failureClass: 'in-doubt' },
    });
    const copy = withFailureClass(error, 'retry-safe');
    expect(copy).not.toBe(error);
    expect(copy).toMatchObject({ code: 'LEVER_API', message: 'Lever answered 502', cause: error });
    expect(copy.details).toEqual({ status: 502, failureClass: 'retry-safe' });
    expect(withFailureClass(error, 'in-doubt')).toBe(error);
  });
});
