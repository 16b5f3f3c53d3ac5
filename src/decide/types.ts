import type { Action } from '../kernel/actions.js';
import type { Facts } from '../kernel/facts.js';

export interface DecisionEvent {
  type: string;
  /** The delivery's token, or the invitation id for a completion: what makes the event unique. */
  id: string;
  triggeredAt: number;
  opportunityId: string | null;
}

/** One comparison as evaluated: what the fact was, what it was compared with, and where it is written. */
export interface LeafTrace {
  fact: string;
  path?: string;
  operator: string;
  expected: unknown;
  actual: unknown;
  result: boolean | null;
  source: string;
}

export type ConditionTrace =
  | { op: 'all' | 'any'; result: boolean | null; children: ConditionTrace[] }
  | { op: 'not'; result: boolean | null; child: ConditionTrace }
  | ({ op: 'fact' } & LeafTrace);

export interface RuleTrace {
  rule: string;
  priority: number;
  source: string;
  fired: boolean;
  conditions: ConditionTrace;
}

export interface Decision {
  id: string;
  tenant: string;
  configVersion: string;
  event: DecisionEvent;
  facts: Facts;
  fired: { name: string; priority: number }[];
  actions: Action[];
  /** Why, in words: each fired rule's reason, or why nothing applied. */
  reasons: string[];
  trace: RuleTrace[];
}
