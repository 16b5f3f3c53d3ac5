/**
 * A deep copy as the store keeps records: what JSON keeps (undefined properties dropped, dates as
 * text). Records go in and come out as copies, so memory holds what a restart reads back and a
 * caller cannot change a stored record without a commit.
 */
export function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
