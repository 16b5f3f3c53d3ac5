import { describe, expect, it } from 'vitest';
import { callbackBase, checkPublicUrl } from '../../../src/server/check-public-url.js';

describe('checkPublicUrl: where a vendor calls back', () => {
  it('takes an https address, and plain http to loopback only', () => {
    expect(checkPublicUrl({ publicUrl: 'https://stagegate.example.com', host: '0.0.0.0' })).toBeNull();
    expect(checkPublicUrl({ publicUrl: 'http://127.0.0.1:8080', host: '0.0.0.0' })).toBeNull();
    expect(checkPublicUrl({ publicUrl: 'http://localhost:8080', host: '0.0.0.0' })).toBeNull();
    expect(checkPublicUrl({ publicUrl: 'http://[::1]:8080', host: '0.0.0.0' })).toBeNull();
    expect(checkPublicUrl({ publicUrl: 'http://stagegate.example.com', host: '127.0.0.1' })).toBe(
      'STAGEGATE_PUBLIC_URL http://stagegate.example.com is not https (plain http only to a loopback address, for tests and the demo): set STAGEGATE_PUBLIC_URL to the https address the assessment vendor reaches this service at (e.g. https://stagegate.example.com)',
    );
    expect(checkPublicUrl({ publicUrl: 'http://10.0.0.7:8080', host: '127.0.0.1' })).toMatch(/is not https/);
  });

  it('unset: fine while listening on loopback (tests, the demo), else says what to set', () => {
    expect(checkPublicUrl({ publicUrl: null, host: '127.0.0.1' })).toBeNull();
    expect(checkPublicUrl({ publicUrl: null, host: '::1' })).toBeNull();
    expect(checkPublicUrl({ publicUrl: null, host: '0.0.0.0' })).toBe(
      'STAGEGATE_PUBLIC_URL is not set, and the listening address (HOST 0.0.0.0) is not one a vendor can call back: set STAGEGATE_PUBLIC_URL to the https address the assessment vendor reaches this service at (e.g. https://stagegate.example.com)',
    );
  });

  it('never hands out the listening address 0.0.0.0 as the callback base', () => {
    expect(callbackBase({ publicUrl: null, host: '0.0.0.0' }, 'http://0.0.0.0:8080')).toBeNull();
    expect(
      callbackBase({ publicUrl: 'http://stagegate.example.com', host: '0.0.0.0' }, 'http://0.0.0.0:8080'),
    ).toBeNull();
    expect(callbackBase({ publicUrl: null, host: '127.0.0.1' }, 'http://127.0.0.1:41234')).toBe(
      'http://127.0.0.1:41234',
    );
    expect(
      callbackBase({ publicUrl: 'https://stagegate.example.com', host: '0.0.0.0' }, 'http://0.0.0.0:8080'),
    ).toBe('https://stagegate.example.com');
  });
});
