import { describe, expect, it } from 'vitest';
import { runDemo } from '../../scripts/demo.js';

describe('npm run demo', () => {
  it('walks Ada, Grace and Linus through and exits 0, printing what Lever shows', async () => {
    let text = '';
    const status = await runDemo({ out: { write: (chunk: string) => (text += chunk) } });
    expect(text).not.toMatch(/demo failed/);
    expect(status).toBe(0);
    const lines = text.split('\n');
    expect(lines).toContain('[3/7] Ada reaches Technical Screen → Lever webhook → 202');
    expect(lines).toContain('[4/7] Ada completes Backend - Python in the sandbox, score 85 → Pass');
    expect(lines).toContain('[6/7] Grace completes Frontend - React in the sandbox, score 22 → Fail');
    expect(text).toMatch(
      /note: {2}Backend - Python completed\. Score: 85\. Report: sandbox:\/\/report\/sbx-inv_[0-9a-f]{20}\n {26}— stagegate dec_[0-9a-f]{20}:\d+\n/,
    );
    expect(text).toMatch(/tags: {2}Frontend - React, Hired Assessments - Fail/);
    expect(text).toMatch(
      /tags: {2}Backend - Python, Frontend - React, Hired Assessments - Error\n.*note: .*several test tags \(Backend - Python, Frontend - React\)/,
    );
    expect(text).toMatch(/\n {2}2 invitations, \d+ Lever API calls, 0 failed actions/);
    // Not a TTY: no colour codes.
    expect(text).not.toContain('\u001b[');
  });
});
