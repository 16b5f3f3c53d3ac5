import type { Action } from '../kernel/actions.js';

export interface FriendlyEvent {
  type: string;
  stage?: string;
  fromStage?: string;
  tags?: string[];
  posting?: string;
  email?: string | null;
  name?: string;
  archived?: boolean;
  invitations?: { id?: string; test: string; status: string; sentAt?: string }[];
  test?: string;
  score?: number | null;
  reportUrl?: string;
}

export interface FixtureCase {
  name: string;
  event?: FriendlyEvent;
  payload?: { event?: string; token?: string; triggeredAt?: number; data?: Record<string, unknown> };
  facts?: Record<string, unknown>;
  expect: {
    actions?: Action[];
    match?: 'exact' | 'contains';
    ordered?: boolean;
    fired?: string[];
    notFired?: string[];
  };
}

export interface FixtureFile {
  tenant: string;
  now?: string;
  /** The coverage this tenant is held to, in place of --coverage-min. */
  coverageMin?: number;
  cases: FixtureCase[];
}

export interface CaseResult {
  tenant: string;
  file: string;
  name: string;
  passed: boolean;
  /** What went wrong, line by line (a diff of actions, rules that should or should not have fired). */
  problems: string[];
  fired: string[];
  trace: string[];
}
