import { copyJson } from './copy-json.js';

/** Only the allowed keys of a patch, copied: a caller spreading a whole record cannot move it to another tenant. */
export function pickPatch<K extends string>(
  patch: Partial<Record<K, unknown>>,
  keys: readonly K[],
): Partial<Record<K, unknown>> {
  const picked: Partial<Record<K, unknown>> = {};
  for (const key of keys) if (patch[key] !== undefined) picked[key] = patch[key];
  return copyJson(picked);
}
