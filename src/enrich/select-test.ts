import type { SelectionSource, TenantSettings } from '../config/types.js';
import type { Facts } from '../kernel/facts.js';

/**
 * Which test to send: the tenant's precedence decides between a test named by a candidate tag, by
 * the posting, and the stage's default. Tags match test names case-insensitively.
 */
export function selectTest(
  settings: TenantSettings,
  input: {
    tags: readonly string[];
    postingTitle: string | null;
    /** Why the posting could not be read, when it could not. */
    postingNote?: string | null;
    stageDefault: string | null;
    stageName: string | null;
  },
): Facts['selection'] {
  const catalog = Object.keys(settings.tests);
  const lowerTags = new Set(input.tags.map((tag) => tag.trim().toLowerCase()));
  const tagged = catalog.filter((test) => lowerTags.has(test.toLowerCase()));
  const result = (
    test: string | null,
    source: SelectionSource | null,
    reason: string,
    held = false,
  ): Facts['selection'] => ({
    test,
    providerTestId: test === null ? null : (settings.tests[test]?.providerTestId ?? null),
    source,
    held,
    conflictingTags: held ? tagged : [],
    reason,
  });

  for (const source of settings.selection.precedence) {
    if (source === 'candidateTag' && tagged.length > 0) {
      if (tagged.length > 1 && settings.selection.whenSeveralTags === 'hold') {
        return result(null, null, `several tags name a test (${tagged.join(', ')})`, true);
      }
      return result(tagged[0] ?? null, 'candidateTag', `the candidate's tag names ${tagged[0]}`);
    }
    if (source === 'posting' && input.postingTitle !== null) {
      const test = settings.selection.postings[input.postingTitle];
      if (test !== undefined)
        return result(test, 'posting', `the posting ${input.postingTitle} names ${test}`);
    }
    if (source === 'stageDefault' && input.stageDefault !== null) {
      return result(input.stageDefault, 'stageDefault', `the default test of ${input.stageName}`);
    }
  }
  const unreadPosting = input.postingNote ? ` (${input.postingNote})` : '';
  return result(
    null,
    null,
    `${input.stageName ?? 'the stage'} has no default test, and no tag or posting names one${unreadPosting}`,
  );
}
