import { isRecord } from '../../kernel/json.js';

const MAX_TEXT = 200;

/**
 * The vendor's own words from an error answer: `{errors: [...]}` as the protocol's vendors send it,
 * else `{error}` or `{message}`, else the start of the raw text. Empty when the vendor said nothing.
 */
export function readVendorErrors(parsed: unknown, text: string): string[] {
  if (isRecord(parsed)) {
    const { errors } = parsed;
    if (Array.isArray(errors)) {
      const texts = errors.map(describeOne).filter((entry) => entry !== '');
      if (texts.length > 0) return texts;
    }
    for (const key of ['error', 'message', 'detail']) {
      const value = parsed[key];
      if (typeof value === 'string' && value.trim() !== '') return [clip(value)];
    }
  }
  const trimmed = text.trim();
  return trimmed === '' ? [] : [clip(trimmed)];
}

function describeOne(entry: unknown): string {
  if (typeof entry === 'string') return clip(entry.trim());
  if (isRecord(entry) && typeof entry.message === 'string') return clip(entry.message.trim());
  return entry === null || entry === undefined ? '' : clip(JSON.stringify(entry));
}

function clip(value: string): string {
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
}
