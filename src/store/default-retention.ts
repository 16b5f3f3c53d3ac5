import type { Retention } from './types.js';

/** How long every backend keeps finished records unless configured otherwise. */
export const defaultRetention: Retention = {
  decisionsMs: 30 * 24 * 60 * 60 * 1000,
  dedupeMs: 72 * 60 * 60 * 1000,
};
