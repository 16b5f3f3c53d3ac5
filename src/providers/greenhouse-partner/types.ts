/**
 * The wire shapes of Greenhouse's Assessment Partner API, which many vendors implement. snake_case
 * as on the wire; fields may be added by a vendor but are never changed or removed.
 */
export type PartnerApiCall = 'list_tests' | 'send_test' | 'test_status';

export interface PartnerTest {
  partner_test_id: string;
  partner_test_name: string;
}

export interface SendTestBody {
  partner_test_id: string;
  candidate: {
    first_name: string;
    last_name: string;
    preferred_name: string;
    email: string;
    greenhouse_profile_url: string;
  };
  /** Where the vendor sends `PATCH` (no body) when results are ready. */
  url: string;
}

export interface ResponseErrorReport {
  api_call: PartnerApiCall;
  errors: string[];
  partner_test_id?: string;
  partner_interview_id?: string;
}

/** What a validator makes of a vendor answer: the value, or what is wrong with it. */
export type Checked<T> = { ok: true; value: T } | { ok: false; errors: string[] };
