import express, { type Router } from 'express';
import { StagegateError } from '../kernel/errors.js';

export type CompleteSandbox = (tenant: string, invitationId: string, score: number | null) => Promise<void>;

function readScore(body: unknown): number | null {
  const score: unknown = (body as { score?: unknown } | undefined)?.score;
  if (score === null || (typeof score === 'number' && Number.isFinite(score))) return score;
  throw new StagegateError('BAD_JSON', 'the body must be {"score": number | null}');
}

/** POST /sandbox/:tenant/invitations/:invitation/complete: a candidate finishing a sandbox test. */
export function addSandboxRoutes(
  router: Router,
  options: { completeSandbox: CompleteSandbox | undefined },
): void {
  router.post(
    '/sandbox/:tenant/invitations/:invitation/complete',
    express.json({ limit: '4kb' }),
    async (req, res) => {
      const { completeSandbox } = options;
      if (completeSandbox === undefined) throw new StagegateError('NOT_FOUND', 'no tenant uses the sandbox');
      const score = readScore(req.body);
      await completeSandbox(req.params.tenant, req.params.invitation, score);
      res.status(202).json({ status: 'completing' });
    },
  );
}
