import { isRecord } from '../../kernel/json.js';
import type { ProviderTest } from '../types.js';
import type { Checked } from './types.js';

/** `[{partner_test_id, partner_test_name}]`, both non-empty strings. */
export function checkListTestsAnswer(body: unknown): Checked<ProviderTest[]> {
  if (!Array.isArray(body)) return { ok: false, errors: ['list_tests did not answer a JSON array'] };
  const errors: string[] = [];
  const tests: ProviderTest[] = [];
  body.forEach((entry: unknown, index) => {
    if (!isRecord(entry)) {
      errors.push(`test ${index} is not an object`);
      return;
    }
    const { partner_test_id: id, partner_test_name: name } = entry;
    if (typeof id !== 'string' || id === '') errors.push(`test ${index} has no partner_test_id`);
    if (typeof name !== 'string') errors.push(`test ${index} has no partner_test_name`);
    if (typeof id === 'string' && id !== '' && typeof name === 'string') tests.push({ id, name });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: tests };
}
