import { isRecord } from '../../kernel/json.js';
import type { ProviderStatus } from '../types.js';
import type { Checked } from './types.js';

/**
 * `{partner_status, partner_profile_url, partner_score, metadata}`. The report URL ends up as a link
 * on the candidate in Lever, so only http(s) URLs pass; `complete` without one is malformed.
 */
export function checkTestStatusAnswer(body: unknown): Checked<ProviderStatus> {
  if (!isRecord(body)) return { ok: false, errors: ['test_status did not answer a JSON object'] };
  const errors: string[] = [];
  const { partner_status: status, partner_score: score, partner_profile_url: url, metadata } = body;

  if (typeof status !== 'string' || status === '') errors.push('partner_status is missing or empty');
  if (!(score === undefined || score === null || (typeof score === 'number' && Number.isFinite(score)))) {
    errors.push('partner_score is not a number');
  }
  if (!(url === undefined || url === null || isWebUrl(url))) {
    errors.push('partner_profile_url is not an http(s) URL');
  }
  if (status === 'complete' && !isWebUrl(url)) {
    errors.push('partner_status is complete but partner_profile_url is missing');
  }
  if (!(metadata === undefined || metadata === null || isRecord(metadata))) {
    errors.push('metadata is not an object');
  }
  if (errors.length > 0 || typeof status !== 'string') return { ok: false, errors };
  return {
    ok: true,
    value: {
      status,
      score: typeof score === 'number' ? score : null,
      reportUrl: isWebUrl(url) ? url : null,
      metadata: isRecord(metadata) ? { ...metadata } : {},
    },
  };
}

function isWebUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
