import { describe, expect, it } from 'vitest';
import { StagegateError } from '../../../src/kernel/errors.js';
import { createSandboxProvider } from '../../../src/providers/sandbox/create-sandbox-provider.js';
import type { ProviderInvitation } from '../../../src/providers/types.js';

function invitation(invitationId: string, providerTestId = 'any-test'): ProviderInvitation {
  return {
    invitationId,
    providerTestId,
    candidate: {
      firstName: 'Grace',
      lastName: 'Hopper',
      email: 'grace@candidates.example',
      profileUrl: 'https://hire.lever.co/candidates/opp-9',
    },
    callbackUrl: `https://stagegate.example/callbacks/${invitationId}`,
  };
}

async function caught(promise: Promise<unknown>): Promise<StagegateError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof StagegateError)) throw new Error(`expected a StagegateError, got ${String(error)}`);
  return error;
}

describe('createSandboxProvider', () => {
  it('lists the tests it was given, and none by default', async () => {
    await expect(createSandboxProvider().listTests()).resolves.toEqual([]);
    const tests = [{ id: 'sbx-test', name: 'Sandbox test' }];
    await expect(createSandboxProvider({ tests }).listTests()).resolves.toEqual(tests);
  });

  it("accepts any test id and names each invitation after stagegate's own id", async () => {
    const sandbox = createSandboxProvider();
    await expect(sandbox.sendTest(invitation('inv-a', 'whatever'))).resolves.toEqual({
      vendorInvitationId: 'sbx-inv-a',
    });
    await expect(sandbox.sendTest(invitation('inv-b'))).resolves.toEqual({ vendorInvitationId: 'sbx-inv-b' });
    // A send repeated after a crash is the same invitation, not a second one.
    await expect(sandbox.sendTest(invitation('inv-a', 'whatever'))).resolves.toEqual({
      vendorInvitationId: 'sbx-inv-a',
    });
    expect(sandbox.invitations()).toEqual([
      {
        vendorInvitationId: 'sbx-inv-a',
        invitation: invitation('inv-a', 'whatever'),
        status: 'sent',
        score: null,
        reportUrl: null,
      },
      {
        vendorInvitationId: 'sbx-inv-b',
        invitation: invitation('inv-b'),
        status: 'sent',
        score: null,
        reportUrl: null,
      },
    ]);
  });

  it('reports sent, then complete with the score and a sandbox report URL', async () => {
    const sandbox = createSandboxProvider();
    const { vendorInvitationId } = await sandbox.sendTest(invitation('inv-a'));
    await expect(sandbox.getStatus(vendorInvitationId)).resolves.toEqual({
      status: 'sent',
      score: null,
      reportUrl: null,
      metadata: { sandbox: true },
    });
    await sandbox.complete(vendorInvitationId, 72);
    await expect(sandbox.getStatus(vendorInvitationId)).resolves.toEqual({
      status: 'complete',
      score: 72,
      reportUrl: 'sandbox://report/sbx-inv-a',
      metadata: { sandbox: true },
    });
  });

  it('keeps a report URL given on completion, and a null score', async () => {
    const sandbox = createSandboxProvider();
    await sandbox.sendTest(invitation('inv-a'));
    await sandbox.complete('sbx-inv-a', null, 'https://reports.example/1');
    await expect(sandbox.getStatus('sbx-inv-a')).resolves.toMatchObject({
      status: 'complete',
      score: null,
      reportUrl: 'https://reports.example/1',
    });
  });

  it('answers an unknown id with a final PROVIDER_API 404', async () => {
    const sandbox = createSandboxProvider();
    const error = await caught(sandbox.getStatus('sbx-404'));
    expect(error.code).toBe('PROVIDER_API');
    expect(error.details).toMatchObject({ status: 404, failureClass: 'final' });
    expect(error.message).toContain('sbx-404');
    await expect(sandbox.complete('sbx-404', 50)).rejects.toThrow(StagegateError);
  });

  it("recalls an invitation sent before a restart from stagegate's records, and only such one", async () => {
    const asked: string[] = [];
    const sandbox = createSandboxProvider({
      recall: async (id) => {
        asked.push(id);
        return id === 'sbx-inv-old';
      },
    });
    await expect(sandbox.getStatus('sbx-inv-old')).resolves.toMatchObject({ status: 'sent', score: null });
    await sandbox.complete('sbx-inv-old', 64);
    await expect(sandbox.getStatus('sbx-inv-old')).resolves.toMatchObject({ status: 'complete', score: 64 });
    expect((await caught(sandbox.getStatus('sbx-inv-never'))).details).toMatchObject({ status: 404 });
    expect(asked).toEqual(['sbx-inv-old', 'sbx-inv-never']);
  });

  it('hands out copies, so callers cannot change what it recorded', async () => {
    const sandbox = createSandboxProvider();
    const sent = invitation('inv-a');
    await sandbox.sendTest(sent);
    sent.candidate.email = 'changed@example.com';
    const [first] = sandbox.invitations();
    if (first === undefined) throw new Error('expected one invitation');
    first.status = 'complete';
    expect(sandbox.invitations()[0]).toMatchObject({
      status: 'sent',
      invitation: { candidate: { email: 'grace@candidates.example' } },
    });
  });
});
