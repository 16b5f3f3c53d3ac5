import type { Action } from '../kernel/actions.js';
import type { Facts } from '../kernel/facts.js';

export interface DecisionEvent {
  type: string;
  /** The delivery's token, or the invitation id for a completion: what makes the event unique. */
  id: string;
  triggeredAt: number;
  opportunityId: string | null;
}

/**
 * A condition as json-rules-engine evaluated it: groups (all / any / not) hold their children; a
 * comparison holds the fact, operator and expected `value` (`valueResult` when it read another fact),
 * the fact's value as `factResult`, its `result`, and its YAML position as `name` (file:line:col).
 */
export interface ConditionTrace {
  all?: ConditionTrace[];
  any?: ConditionTrace[];
  not?: ConditionTrace;
  fact?: string;
  path?: string;
  operator?: string;
  value?: unknown;
  valueResult?: unknown;
  factResult?: unknown;
  result?: boolean;
  name?: string;
}

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
  /**
   * The facts that were to be fetched only if a rule read them, and that no rule read (a
   * completion's candidate facts, from Lever): their values in `facts` are placeholders.
   */
  unread?: string[];
  /**
   * On the executor's decision of an `actionFailed` event: the action whose failure it shows, and
   * the decision that action came from.
   */
  failureOf?: { action: string; decision: string };
}
