import type { Logger } from 'pino';
import type { StagegateError } from '../../kernel/errors.js';
import { classifyFacts } from '../../kernel/failure-class.js';
import { createProviderError } from '../create-provider-error.js';
import type { AssessmentProvider, ProviderInvitation, ProviderStatus, ProviderTest } from '../types.js';
import { checkListTestsAnswer } from './check-list-tests-answer.js';
import { checkSendTestAnswer } from './check-send-test-answer.js';
import { checkTestStatusAnswer } from './check-test-status-answer.js';
import { createPartnerTransport, type PartnerRequest } from './create-partner-transport.js';
import { reportMalformedAnswer } from './report-malformed-answer.js';
import type { Checked, PartnerApiCall, ResponseErrorReport, SendTestBody } from './types.js';

export interface GreenhousePartnerProviderOptions {
  /** Where the vendor hosts `list_tests`, `send_test`, `test_status` and `response_error`. */
  baseUrl: string;
  /** Sent as the Basic auth user name with an empty password; never logged. */
  apiKey: string;
  http?: typeof fetch;
  /** Per request, reading the body included; default 10 s. */
  timeoutMs?: number;
  log: Logger;
}

/**
 * A vendor that speaks Greenhouse's Assessment Partner API. No retries here: one attempt per call,
 * and the outbox retries retry-safe failures on its own schedule. send_test is sent `once`: a 5xx,
 * a timeout, a broken connection or an unreadable 2xx after it is in doubt.
 */
export function createGreenhousePartnerProvider(
  options: GreenhousePartnerProviderOptions,
): AssessmentProvider {
  const log = options.log.child({ provider: 'greenhouse-partner' });
  const send = createPartnerTransport({ ...options, log });

  async function call<T>(
    apiCall: PartnerApiCall,
    request: PartnerRequest,
    check: (body: unknown) => Checked<T>,
    ids: Pick<ResponseErrorReport, 'partner_test_id' | 'partner_interview_id'> = {},
  ): Promise<T> {
    const answer = await send(request);
    const checked = check(answer.body);
    if (checked.ok) return checked.value;
    log.warn({ apiCall, errors: checked.errors }, 'assessment vendor gave a malformed answer');
    await reportMalformedAnswer(send, { api_call: apiCall, errors: checked.errors, ...ids }, log);
    throw malformed(request, answer.status, checked.errors);
  }

  return {
    listTests(): Promise<ProviderTest[]> {
      return call('list_tests', { method: 'GET', path: '/list_tests' }, checkListTestsAnswer);
    },

    sendTest(invitation: ProviderInvitation): Promise<{ vendorInvitationId: string }> {
      const { candidate } = invitation;
      const body: SendTestBody = {
        partner_test_id: invitation.providerTestId,
        candidate: {
          first_name: candidate.firstName,
          last_name: candidate.lastName,
          // Lever keeps no separate preferred name; the first name is what the candidate gave.
          preferred_name: candidate.firstName,
          email: candidate.email,
          greenhouse_profile_url: candidate.profileUrl,
        },
        url: invitation.callbackUrl,
      };
      const request: PartnerRequest = { method: 'POST', path: '/send_test', body, once: true };
      return call('send_test', request, checkSendTestAnswer, {
        partner_test_id: invitation.providerTestId,
      });
    },

    getStatus(vendorInvitationId: string): Promise<ProviderStatus> {
      return call(
        'test_status',
        { method: 'GET', path: '/test_status', query: { partner_interview_id: vendorInvitationId } },
        checkTestStatusAnswer,
        { partner_interview_id: vendorInvitationId },
      );
    },
  };
}

function malformed(request: PartnerRequest, status: number, errors: string[]): StagegateError {
  const { method, path } = request;
  // A 2xx the vendor sent: after send_test it most likely has the invitation (in doubt).
  const failureClass = classifyFacts(
    { code: 'PROVIDER_API', reason: 'malformed' },
    { idempotent: request.once !== true },
  );
  return createProviderError(
    `Assessment vendor: the vendor gave an answer stagegate cannot use: ${errors.join('; ')} (HTTP ${status} on ${method} ${path})`,
    { status, failureClass, method, path, reason: 'malformed' },
  );
}
