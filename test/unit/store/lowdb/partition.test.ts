import { describe, expect, it } from 'vitest';
import {
  checkPartitionData,
  createEmptyPartition,
  isPartitionFileName,
  partitionFileName,
} from '../../../../src/store/lowdb/partition.js';

describe('partition files', () => {
  it('names a tenant file so that no tenant id leaves the directory', () => {
    expect(partitionFileName('acme')).toBe('acme.json');
    expect(partitionFileName('../etc/passwd')).toBe('..%2Fetc%2Fpasswd.json');
    expect(isPartitionFileName('acme.json')).toBe(true);
    expect(isPartitionFileName('acme.json.tmp')).toBe(false);
    expect(isPartitionFileName('.lock')).toBe(false);
  });

  it('accepts what it wrote, with dedupe tokens as plain keys', () => {
    const data = JSON.parse(JSON.stringify(createEmptyPartition('acme')));
    data.dedupe = JSON.parse('{"__proto__": {"at": 1, "inboxId": "inb_1"}}');
    const checked = checkPartitionData(data, '/data/acme.json');
    expect(Object.entries(checked.dedupe)).toEqual([['__proto__', { at: 1, inboxId: 'inb_1' }]]);
    expect(Object.getPrototypeOf(checked.dedupe)).toBeNull();
  });

  it.each([
    ['a list', [], 'it is not a JSON object'],
    ['another version', { ...createEmptyPartition('acme'), version: 2 }, 'its version is 2, expected 1'],
    ['another tenant', createEmptyPartition('globex'), 'its tenant "globex" does not match the file name'],
    ['no inbox', { ...createEmptyPartition('acme'), inbox: null }, 'its "inbox" is not a list'],
    ['no dedupe', { ...createEmptyPartition('acme'), dedupe: 3 }, 'its "dedupe" is not an object'],
  ])('refuses %s, naming the file', (_name, value, problem) => {
    expect(() => checkPartitionData(value, '/data/acme.json')).toThrow(
      `Store file /data/acme.json is not a stagegate partition: ${problem}.`,
    );
  });
});
