import { describe, expect, it } from 'vitest';
import { runDemo } from '../../scripts/demo.js';

describe('npm run demo', () => {
  it('connects the demo tenant in two clicks, walks Ada, Grace and Linus through and exits 0, printing what Lever shows', async () => {
    let text = '';
    const status = await runDemo({ out: { write: (chunk: string) => (text += chunk) } });
    expect(text).not.toMatch(/demo failed/);
    expect(status).toBe(0);
    const lines = text.split('\n');
    // The two clicks: a connect link, Lever's consent, tokens stored, webhooks registered.
    expect(lines).toContain(
      '[4/9] stagegate connect --tenant demo → a one-time link for the customer’s Lever Super Admin',
    );
    expect(text).toMatch(
      /\n {6}http:\/\/127\.0\.0\.1:\d+\/authorize\?client_id=stagegate-demo&redirect_uri=[^&]+&response_type=code&state=demo\.[^&]{7}…&scope=[^&]*webhooks%3Awrite%3Aadmin/,
    );
    expect(lines).toContain(
      '      Super Admin  accepts on Lever’s consent page → /oauth/lever/callback → 200 Connected',
    );
    expect(text).toContain(
      'webhooks: candidateStageChange, candidateArchiveChange, candidateHired, candidateDeleted, each with the signature token Lever returned',
    );
    expect(lines).toContain('[5/9] Ada reaches Technical Screen → Lever webhook → 202');
    expect(lines).toContain('[6/9] Ada completes Backend - Python at the vendor, score 85 → Pass');
    expect(lines).toContain('[8/9] Grace completes Frontend - React at the vendor, score 22 → Fail');
    expect(text).toMatch(
      /note: {2}Backend - Python completed\. Score: 85\. Report: https:\/\/vendor\.example\/reports\/pi-1\n {26}Sent by stagegate \(reference dec_[0-9a-f]{20}:\d+\)\n/,
    );
    expect(text).toMatch(/tags: {2}Frontend - React, Hired Assessments - Fail/);
    expect(text).toMatch(
      /tags: {2}Backend - Python, Frontend - React, Hired Assessments - Error\n.*note: .*several test tags \(Backend - Python, Frontend - React\)/,
    );
    expect(text).toMatch(/\n {2}2 invitations, \d+ Lever API calls, 4 vendor API calls, 0 failed actions/);
    // Not a TTY: no colour codes.
    expect(text).not.toContain('\u001b[');
  });
});
