/**
 * The shapes of Lever's REST API v1 that stagegate reads. Fields stagegate does not use are left
 * out; Lever sends more.
 */

export interface Stage {
  id: string;
  text: string;
}

export interface Posting {
  id: string;
  text: string;
  tags?: string[];
}

export interface Contact {
  id: string;
  name?: string;
  emails?: string[];
}

/** `applications[]` once expanded; unexpanded Lever sends only the application ids. */
export interface Application {
  id: string;
  /** The posting id; absent for an application without a posting (a referral, a manual add). */
  posting?: string;
}

export interface Archived {
  /** The archive reason id. */
  reason: string;
  /** Epoch ms. */
  archivedAt: number;
}

/** An opportunity as Lever sends it without `expand`: references are plain ids. */
export interface Opportunity {
  id: string;
  name: string;
  /** The person's id, or the person once `expand=contact`. */
  contact: string | Contact;
  emails: string[];
  /** Plain strings. */
  tags: string[];
  /** Links live on the contact: they show on every opportunity of that person. */
  links: string[];
  /** The stage id, or `{id, text}` once `expand=stage`. */
  stage: string | Stage;
  archived: Archived | null;
  /** Application ids, or the applications once `expand=applications`. */
  applications: Array<string | Application>;
  origin?: string;
  sources?: string[];
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms. */
  updatedAt: number;
  urls: { list?: string; show: string };
}

/** What `GET /opportunities/:id?expand=applications&expand=stage&expand=contact` answers. */
export interface ExpandedOpportunity extends Omit<Opportunity, 'contact' | 'stage' | 'applications'> {
  contact: Contact;
  stage: Stage;
  applications: Application[];
}

/** A note on an opportunity, as `GET /opportunities/:id/notes` lists it. */
export interface Note {
  id: string;
  /** The note's text when it has one field. */
  text?: string;
  fields?: { type?: string; text?: string; value?: unknown }[];
  createdAt?: number;
  deletedAt?: number | null;
}

/** The body of every Lever error answer. */
export interface LeverErrorBody {
  code: string;
  message: string;
}

/** Every Lever answer is wrapped; lists add the paging cursor. */
export interface LeverEnvelope<T> {
  data: T;
  next?: string;
  hasNext?: boolean;
}

/**
 * A webhook made through the Webhooks Subscription API. `configuration.signatureToken` is in the
 * answer that creates it, and only there.
 */
export interface LeverWebhook {
  id: string;
  url: string;
  event: string;
  configuration?: { signatureToken?: string; conditions?: unknown };
  createdAt?: number;
}
