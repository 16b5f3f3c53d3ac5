// The behaviour every store backend owes the service, run against each one by its own test file
// (store-lowdb.test.ts, store-sqlite.test.ts, store-postgres.test.ts). What only one backend does stays in its file.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type {
  ActionRecord,
  DecisionRecord,
  InboxItem,
  InvitationRecord,
  Store,
} from '../../src/store/types.js';
import {
  actionsFor,
  clock,
  day,
  decisionFor,
  delivery,
  email,
  hour,
  readAllFiles,
  start,
  useStoreTestbed,
} from './store-testbed.js';

/** What is durable in a store directory, read without the store: every record, in arrival order per tenant. */
export interface OnDisk {
  inbox: InboxItem[];
  decisions: DecisionRecord[];
  actions: ActionRecord[];
  invitations: InvitationRecord[];
  dedupeTokens: string[];
}

/** A backend as the contract sees it: how to open it, and how to look at its files behind its back. */
export interface StoreBackend {
  /** Also the argument that tells fixtures/store-crash-writer.ts which store to open. */
  readonly name: 'lowdb' | 'sqlite' | 'postgres';
  /** Opens the store in `dir` on the testbed's clock, each change committed as soon as it can be. */
  open(dir: string): Promise<Store>;
  /** The file that holds tenant acme's records. */
  acmeFile(dir: string): string;
  readDisk(dir: string): Promise<OnDisk>;
  /** Changes whenever the store writes: the same before and after a call that must write nothing. */
  writeMark(dir: string): Promise<unknown>;
  /**
   * A store whose records are not files in the directory (postgres): every record it keeps, as text,
   * for the personal-data checks. The tests of corrupt files and of the directory's lock do not apply
   * to it (instances share a database on purpose).
   */
  readAll?(dir: string): Promise<string>;
}

export function describeStoreContract(backend: StoreBackend): void {
  describe(`${backend.name} store: the Store contract`, () => {
    const bed = useStoreTestbed();
    const onFiles = backend.readAll === undefined;
    const fileIt = onFiles ? it : it.skip;
    const readAll = (dir: string) => backend.readAll?.(dir) ?? readAllFiles(dir);

    async function openStore(): Promise<Store> {
      return bed.track(await backend.open(bed.dir));
    }

    /** The error of an open that must fail; a store that opens all the same is closed after the test. */
    async function failedOpen(): Promise<unknown> {
      return backend.open(bed.dir).then(bed.track, (error: unknown) => error);
    }

    function readDisk(): Promise<OnDisk> {
      return backend.readDisk(bed.dir);
    }

    describe('inbox', () => {
      it('treats a token seen within the dedupe window as a duplicate, and writes nothing for it', async () => {
        const store = await openStore();
        const first = await store.acceptDelivery(delivery());
        const mark = await backend.writeMark(bed.dir);

        clock.advance(71 * hour);
        const again = await store.acceptDelivery(delivery({ payload: { other: true } }));

        expect(first.duplicate).toBe(false);
        expect(again).toEqual({ duplicate: true, item: first.item });
        expect(await backend.writeMark(bed.dir)).toEqual(mark);
        expect(await store.pendingInbox()).toHaveLength(1);
        expect((await readDisk()).inbox).toEqual([first.item]);
      });

      it('accepts the token again after the window, and keeps tokens apart per tenant', async () => {
        const store = await openStore();
        const first = await store.acceptDelivery(delivery());
        const otherTenant = await store.acceptDelivery(delivery({ tenant: 'globex' }));
        clock.advance(72 * hour);
        const replay = await store.acceptDelivery(delivery());

        expect(otherTenant.duplicate).toBe(false);
        expect(replay.duplicate).toBe(false);
        expect(replay.item.id).not.toBe(first.item.id);
        expect((await store.pendingInbox('acme')).map((item) => item.id)).toEqual([
          first.item.id,
          replay.item.id,
        ]);
      });

      it('answers one of two concurrent deliveries of a token as the duplicate of the other', async () => {
        const store = await openStore();
        const [a, b] = await Promise.all([
          store.acceptDelivery(delivery()),
          store.acceptDelivery(delivery()),
        ]);
        expect([a.duplicate, b.duplicate]).toEqual([false, true]);
        expect(b.item).toEqual(a.item);
        expect((await readDisk()).inbox).toHaveLength(1);
      });

      it('has the delivery on disk when acceptDelivery resolves, and a fresh store finds it', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());

        expect((await readDisk()).inbox).toEqual([item]);
        expect(item).toMatchObject({ status: 'pending', receivedAt: start, tenant: 'acme' });

        await store.close();
        const reopened = await openStore();
        expect(await reopened.getInboxItem(item.id)).toEqual(item);
        expect((await reopened.acceptDelivery(delivery())).duplicate).toBe(true);
      });

      it('lists pending items in arrival order across tenants', async () => {
        const store = await openStore();
        const a = await store.acceptDelivery(delivery({ token: 'a' }));
        clock.advance(1);
        const b = await store.acceptDelivery(delivery({ token: 'b', tenant: 'globex' }));
        clock.advance(1);
        const c = await store.acceptDelivery(delivery({ token: 'c' }));
        await store.completeInbox(b.item.id, { skipped: 'not a trigger stage' });

        expect((await store.pendingInbox()).map((item) => item.id)).toEqual([a.item.id, c.item.id]);
        expect(await store.pendingInbox('globex')).toEqual([]);
      });

      it("hands out each opportunity's oldest pending item, oldest first, and with `of` only that one's", async () => {
        const store = await openStore();
        const a1 = await store.acceptDelivery(delivery({ token: 'a1' }));
        clock.advance(1);
        const b1 = await store.acceptDelivery(delivery({ token: 'b1', opportunityId: 'opp-2' }));
        clock.advance(1);
        const a2 = await store.acceptDelivery(delivery({ token: 'a2' }));
        const lone = await store.acceptDelivery(delivery({ token: 'lone', opportunityId: null }));
        const ids = (items: InboxItem[]) => items.map((item) => item.id);

        expect(ids(await store.claimInbox(10))).toEqual([a1.item.id, b1.item.id, lone.item.id]);
        expect(ids(await store.claimInbox(2))).toEqual([a1.item.id, b1.item.id]);
        expect(ids(await store.claimInbox(1, a2.item))).toEqual([a1.item.id]);
        expect(ids(await store.claimInbox(1, lone.item))).toEqual([lone.item.id]);
        await store.completeInbox(a1.item.id, { skipped: 'not a trigger stage' });
        expect(ids(await store.claimInbox(1, a1.item))).toEqual([a2.item.id]);
        await store.completeInbox(a2.item.id, { skipped: 'not a trigger stage' });
        expect(await store.claimInbox(1, a1.item)).toEqual([]);
        expect(ids(await store.claimInbox(10))).toEqual([b1.item.id, lone.item.id]);
      });

      it('takes any token as a plain key, even __proto__, and refuses an empty token or tenant', async () => {
        const store = await openStore();
        expect((await store.acceptDelivery(delivery({ token: '__proto__' }))).duplicate).toBe(false);
        expect((await store.acceptDelivery(delivery({ token: '__proto__' }))).duplicate).toBe(true);
        await expect(store.acceptDelivery(delivery({ token: '' }))).rejects.toMatchObject({
          code: 'INTERNAL',
        });
        await expect(store.acceptDelivery(delivery({ tenant: '' }))).rejects.toMatchObject({
          code: 'INTERNAL',
        });
      });

      it('hands out copies: changing a returned record changes nothing stored', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        item.status = 'done';
        expect((await store.getInboxItem(item.id))?.status).toBe('pending');
      });
    });

    describe('a decision recorded outside the inbox (a failure decision)', () => {
      const failureDecision = (failedActionId: string): DecisionRecord => ({
        id: `dec_failure_${failedActionId}`,
        tenant: 'acme',
        opportunityId: 'opp-1',
        inboxId: null,
        createdAt: clock.now(),
        decision: { event: { type: 'actionFailed', id: failedActionId }, facts: { candidate: { email } } },
        email,
      });

      it('is stored durably, once: a second call answers the first record and writes nothing', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = decisionFor(item);
        await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) });
        const failure = failureDecision(`${decision.id}:0`);

        expect(await store.recordDecision(failure)).toEqual(failure);
        const mark = await backend.writeMark(bed.dir);
        expect(await store.recordDecision({ ...failure, createdAt: failure.createdAt + 1 })).toEqual(failure);
        expect(await backend.writeMark(bed.dir)).toEqual(mark);

        expect((await readDisk()).decisions).toEqual([decision, failure]);
        expect(await store.getDecision(failure.id)).toEqual(failure);
        expect((await store.findCandidate('acme', 'opp-1'))?.decisions.map((record) => record.id)).toEqual([
          decision.id,
          failure.id,
        ]);
        expect(await store.findOpportunitiesByEmail('acme', email)).toEqual(['opp-1']);
        await store.close();
        expect(await (await openStore()).getDecision(failure.id)).toEqual(failure);
      });

      it('is purged with the candidate and pruned past the retention, as any decision', async () => {
        const store = await openStore();
        const first = failureDecision('dec_x:0');
        await store.recordDecision(first);
        await store.purgeCandidate('acme', 'opp-1', clock.now());
        expect((await store.getDecision(first.id))?.decision).toEqual({ purged: true });
        expect(await readAll(bed.dir)).not.toContain(email);

        const second = failureDecision('dec_y:0');
        await store.recordDecision(second);
        clock.advance(31 * day);
        const report = await store.prune(clock.now());
        expect(report.decisions).toEqual([first.id, second.id]);
        expect(await store.getDecision(second.id)).toBeUndefined();
      });
    });

    describe('completing an inbox item', () => {
      it('writes the item, its decision and its actions together', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = decisionFor(item);

        const done = await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 3) });

        expect(done).toMatchObject({ status: 'done', decisionId: decision.id });
        const onDisk = await readDisk();
        expect(onDisk.inbox).toEqual([done]);
        expect(onDisk.decisions).toEqual([decision]);
        expect(onDisk.actions.map((action) => action.id)).toEqual([
          `${decision.id}:0`,
          `${decision.id}:1`,
          `${decision.id}:2`,
        ]);
      });

      it('writes none of it when a part is refused, and leaves the rest of the batch alone', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const taken = await store.acceptDelivery(delivery({ token: 'taken' }));
        const decision = decisionFor(taken.item, 'dec-taken');
        await store.completeInbox(taken.item.id, { decision, actions: actionsFor(decision, 1) });

        // The decision id is taken: refused whole, while a delivery in the same batch is kept.
        const reused = { ...decisionFor(item, 'dec-taken') };
        const [refused, other] = await Promise.allSettled([
          store.completeInbox(item.id, { decision: reused, actions: actionsFor(reused, 2) }),
          store.acceptDelivery(delivery({ token: 'other' })),
        ]);

        expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'INTERNAL' } });
        expect(other).toMatchObject({ status: 'fulfilled' });
        expect((await store.getInboxItem(item.id))?.status).toBe('pending');
        const onDisk = await readDisk();
        expect(onDisk.decisions).toHaveLength(1);
        expect(onDisk.actions).toHaveLength(1);
        expect(onDisk.inbox).toHaveLength(3);
      });

      it('is idempotent: a second call writes nothing and returns the item as it is', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = decisionFor(item);
        const first = await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) });
        const mark = await backend.writeMark(bed.dir);

        const second = await store.completeInbox(item.id, { skipped: 'again' });

        expect(second).toEqual(first);
        expect(await backend.writeMark(bed.dir)).toEqual(mark);
        expect(await store.listDecisions({ tenant: 'acme' })).toHaveLength(1);
        expect(await store.listActions()).toHaveLength(1);
      });

      it('is idempotent within one batch too', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = decisionFor(item);
        const [first, second] = await Promise.all([
          store.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) }),
          store.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) }),
        ]);
        expect(second).toEqual(first);
        expect((await readDisk()).actions).toHaveLength(2);
      });

      it('records a skip with its reason', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        await store.completeInbox(item.id, { skipped: 'stage is not a trigger' });
        expect(await store.getInboxItem(item.id)).toMatchObject({
          status: 'skipped',
          reason: 'stage is not a trigger',
        });
      });

      it('refuses an outcome that does not belong to the item, and an unknown item', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = { ...decisionFor(item), tenant: 'globex' };
        await expect(store.completeInbox(item.id, { decision, actions: [] })).rejects.toMatchObject({
          code: 'INTERNAL',
        });
        expect((await store.getInboxItem(item.id))?.status).toBe('pending');
        await expect(store.completeInbox('inb_missing', { skipped: 'x' })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
      });
    });

    describe('listing and replaying the inbox', () => {
      /** Four deliveries an hour apart: acme a (skipped), globex b (pending), acme c (skipped), acme d (done). */
      async function seedInbox(store: Store): Promise<InboxItem[]> {
        const items: InboxItem[] = [];
        for (const [token, tenant] of [
          ['a', 'acme'],
          ['b', 'globex'],
          ['c', 'acme'],
          ['d', 'acme'],
        ] as const) {
          items.push((await store.acceptDelivery(delivery({ token, tenant }))).item);
          clock.advance(hour);
        }
        const [a, , c, d] = items as [InboxItem, InboxItem, InboxItem, InboxItem];
        await store.completeInbox(a.id, { skipped: 'Lever refused the key' });
        await store.completeInbox(c.id, { skipped: 'the payload says stage x but Lever says y' });
        const decision = decisionFor(d);
        await store.completeInbox(d.id, { decision, actions: actionsFor(decision, 1) });
        return items;
      }

      it('lists by tenant, status and arrival time, oldest first, up to a limit', async () => {
        const store = await openStore();
        const [a, b, c, d] = (await seedInbox(store)).map((item) => item.id);
        const ids = async (filter: Parameters<Store['listInbox']>[0]) =>
          (await store.listInbox(filter)).map((item) => item.id);

        expect(await ids({})).toEqual([a, b, c, d]);
        expect(await ids({ tenant: 'acme', status: 'skipped' })).toEqual([a, c]);
        expect(await ids({ status: 'pending' })).toEqual([b]);
        expect(await ids({ tenant: 'acme', since: start + hour })).toEqual([c, d]);
        expect(await ids({ since: start + hour, limit: 1 })).toEqual([b]);
        expect(await ids({ tenant: 'nobody' })).toEqual([]);
        const [skipped] = await store.listInbox({ status: 'skipped' });
        expect(skipped).toMatchObject({
          status: 'skipped',
          reason: 'Lever refused the key',
          receivedAt: start,
        });
      });

      it('replays a skipped item: pending again, durable, its place and arrival time kept, its token not asked', async () => {
        const store = await openStore();
        const [a, , c] = await seedInbox(store);
        const replayedAt = clock.now();

        const replayed = await store.replayInbox(c?.id ?? '', replayedAt);

        expect(replayed).toMatchObject({
          id: c?.id,
          status: 'pending',
          receivedAt: start + 2 * hour,
          replayedAt,
        });
        expect(replayed.reason).toBeUndefined();
        expect((await readDisk()).inbox.find((item) => item.id === c?.id)).toEqual(replayed);
        // Arrival order: the globex delivery b came first across tenants, then c.
        expect((await store.pendingInbox()).map((item) => item.token)).toEqual(['b', 'c']);
        // Its token is still remembered for intake: a redelivery is a duplicate of the replayed item.
        expect(await store.acceptDelivery(delivery({ token: 'c' }))).toMatchObject({
          duplicate: true,
          item: { id: c?.id },
        });

        await store.close();
        const reopened = await openStore();
        expect((await reopened.pendingInbox('acme')).map((item) => item.id)).toEqual([c?.id]);
        expect((await reopened.getInboxItem(a?.id ?? ''))?.status).toBe('skipped');
      });

      it('refuses to replay a decided or a pending item (CONFLICT) and an unknown one (NOT_FOUND), writing nothing', async () => {
        const store = await openStore();
        const [, b, c, d] = await seedInbox(store);
        await store.replayInbox(c?.id ?? '', clock.now());
        const mark = await backend.writeMark(bed.dir);

        await expect(store.replayInbox(d?.id ?? '', clock.now())).rejects.toMatchObject({
          code: 'CONFLICT',
          message: expect.stringContaining('was decided'),
        });
        await expect(store.replayInbox(b?.id ?? '', clock.now())).rejects.toMatchObject({
          code: 'CONFLICT',
          message: expect.stringContaining('pending already'),
        });
        await expect(store.replayInbox(c?.id ?? '', clock.now())).rejects.toMatchObject({ code: 'CONFLICT' });
        await expect(store.replayInbox('inb_missing', clock.now())).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        expect(await backend.writeMark(bed.dir)).toEqual(mark);
        expect((await store.getInboxItem(d?.id ?? ''))?.status).toBe('done');
      });
    });

    describe('actions', () => {
      it('gives due actions oldest first, by createdAt then index, up to the limit', async () => {
        const store = await openStore();
        const first = await store.acceptDelivery(delivery({ token: 'a' }));
        clock.advance(1000);
        const second = await store.acceptDelivery(delivery({ token: 'b', tenant: 'globex' }));
        const later = decisionFor(second.item, 'dec-later');
        // Completed first, but created later.
        await store.completeInbox(second.item.id, {
          decision: later,
          actions: actionsFor(later, 2).reverse(),
        });
        clock.set(start);
        const earlier = decisionFor(first.item, 'dec-earlier');
        const earlierActions = actionsFor(earlier, 3);
        earlierActions[1] = { ...(earlierActions[1] as ActionRecord), nextAttemptAt: start + 10 * hour };
        await store.completeInbox(first.item.id, { decision: earlier, actions: earlierActions });

        const due = await store.dueActions(start + 1000, 10);
        expect(due.map((action) => action.id)).toEqual([
          'dec-earlier:0',
          'dec-earlier:2',
          'dec-later:0',
          'dec-later:1',
        ]);
        expect((await store.dueActions(start + 1000, 2)).map((action) => action.id)).toEqual([
          'dec-earlier:0',
          'dec-earlier:2',
        ]);
        expect((await store.dueActions(start, 10)).map((action) => action.id)).toEqual([
          'dec-earlier:0',
          'dec-earlier:2',
        ]);
      });

      it('hands out an action only once it is on disk', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = decisionFor(item);
        const completing = store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) });

        // Asked while the completion is on its way: whatever is handed out is on disk already.
        const due = await store.dueActions(clock.now(), 10);
        const onDisk = (await readDisk()).actions.map((action) => action.id);
        expect(due.filter((action) => !onDisk.includes(action.id))).toEqual([]);
        await completing;
        expect((await store.dueActions(clock.now(), 10)).map((action) => action.id)).toEqual([
          `${decision.id}:0`,
        ]);
      });

      it('updates an action durably and drops it from the due list once it is running', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = decisionFor(item);
        await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) });
        clock.advance(5);

        const running = await store.updateAction(`${decision.id}:0`, { status: 'running', attempts: 1 });

        expect(running).toMatchObject({
          status: 'running',
          attempts: 1,
          updatedAt: start + 5,
          tenant: 'acme',
        });
        expect(await store.dueActions(clock.now(), 10)).toEqual([]);
        expect((await readDisk()).actions).toEqual([running]);
        expect(await store.listActions({ status: 'running', opportunityId: 'opp-1' })).toEqual([running]);
        await expect(store.updateAction('nope:0', { status: 'done' })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
      });

      it('puts actions left running back to pending, due now, at a start', async () => {
        const first = await openStore();
        const { item } = await first.acceptDelivery(delivery());
        const decision = decisionFor(item);
        await first.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) });
        await first.updateAction(`${decision.id}:0`, {
          status: 'running',
          attempts: 1,
          nextAttemptAt: start,
        });
        await first.close();
        clock.advance(60_000);

        // The process that ran it is gone: for PostgreSQL, its claim has run out too.
        const store = await openStore();
        const recovered = await store.recoverActions(clock.now());
        expect(recovered.map((action) => action.id)).toEqual([`${decision.id}:0`]);
        expect(await store.getAction(`${decision.id}:0`)).toMatchObject({
          status: 'pending',
          attempts: 1,
          nextAttemptAt: clock.now(),
        });
        expect((await store.dueActions(clock.now(), 10)).map((action) => action.id)).toEqual([
          `${decision.id}:0`,
          `${decision.id}:1`,
        ]);
        expect(await store.recoverActions(clock.now())).toEqual([]);
      });

      it('keeps a patch to the allowed keys: an action cannot move to another tenant', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = decisionFor(item);
        await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) });
        const patch = { status: 'done', tenant: 'globex' } as unknown as Parameters<Store['updateAction']>[1];
        expect(await store.updateAction(`${decision.id}:0`, patch)).toMatchObject({
          tenant: 'acme',
          status: 'done',
        });
      });
    });

    describe('invitations', () => {
      it('puts, updates and lists invitations, and refuses one that changes tenant', async () => {
        const store = await openStore();
        const invitation = {
          id: 'inv-1',
          tenant: 'acme',
          opportunityId: 'opp-1',
          test: 'Backend - Python',
          providerTestId: 't-101',
          status: 'sending' as const,
          createdAt: start,
          updatedAt: start,
        };
        await store.putInvitation(invitation);
        clock.advance(10);
        const sent = await store.updateInvitation('inv-1', { status: 'sent', vendorInvitationId: 'v-9' });

        expect(sent).toMatchObject({ status: 'sent', vendorInvitationId: 'v-9', updatedAt: start + 10 });
        expect(await store.listInvitations({ opportunityId: 'opp-1', status: 'sent' })).toEqual([sent]);
        expect(await store.listInvitations({ tenant: 'globex' })).toEqual([]);
        expect((await readDisk()).invitations).toEqual([sent]);
        await expect(store.putInvitation({ ...invitation, tenant: 'globex' })).rejects.toMatchObject({
          code: 'INTERNAL',
        });
        await expect(store.updateInvitation('inv-missing', { status: 'sent' })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
      });
    });

    describe('purge and retention', () => {
      it('leaves a tombstone and no personal data in any file of the store', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(
          delivery({ payload: { data: { opportunityId: 'opp-1' }, candidate: { email } } }),
        );
        const other = await store.acceptDelivery(delivery({ token: 'other', opportunityId: 'opp-2' }));
        const decision = decisionFor(item);
        const actions = actionsFor(decision, 2, {
          action: { type: 'lever.addNote', text: `Invited ${email}` },
        });
        await store.completeInbox(item.id, { decision, actions });
        await store.updateAction(`${decision.id}:0`, { status: 'done', result: { sentTo: email } });
        await store.putInvitation({
          id: 'inv-1',
          tenant: 'acme',
          opportunityId: 'opp-1',
          test: 'Backend - Python',
          providerTestId: 't-101',
          status: 'completed',
          candidate: { name: 'Ada Lovelace', email },
          score: 91,
          reportUrl: 'https://vendor.example/reports/1',
          createdAt: start,
          updatedAt: start,
        });
        expect(await readAll(bed.dir)).toContain(email);

        const tombstone = await store.purgeCandidate('acme', 'opp-1', start + day);
        // A pending action keeps its arguments (the e-mail in the note) until it finishes; the rest is gone.
        expect(await readAll(bed.dir)).not.toContain('Ada Lovelace');
        expect(await readAll(bed.dir)).not.toContain('vendor.example');
        // The pending note finishes after the purge; what it reports is not kept either.
        await store.updateAction(`${decision.id}:1`, { status: 'done', result: { note: `for ${email}` } });
        // A vendor's late report is scrubbed as it is written.
        await store.updateInvitation('inv-1', {
          candidate: { email },
          reportUrl: 'https://vendor.example/r/2',
        });

        expect(tombstone).toEqual({ tenant: 'acme', opportunityId: 'opp-1', purgedAt: start + day });
        const files = await readAll(bed.dir);
        expect(files).not.toContain(email);
        expect(files).not.toContain('Ada Lovelace');
        expect(files).not.toContain('vendor.example');
        expect((await store.getInboxItem(item.id))?.payload).toEqual({ purged: true });
        expect((await store.getDecision(decision.id))?.decision).toEqual({ purged: true });
        expect(await store.getInvitation('inv-1')).toMatchObject({ score: 91, status: 'completed' });
        expect((await store.getInboxItem(other.item.id))?.payload).toEqual(delivery().payload);

        await store.close();
        expect(await readAll(bed.dir)).not.toContain(email);
        const reopened = await openStore();
        expect(await reopened.getTombstone('acme', 'opp-1')).toEqual(tombstone);
        expect(await reopened.getTombstone('acme', 'opp-2')).toBeUndefined();
        expect(await reopened.getTombstone('nobody', 'opp-1')).toBeUndefined();
      });

      it('prunes finished records past the retention, never pending ones, and on disk', async () => {
        const store = await openStore();
        const old = await store.acceptDelivery(delivery({ token: 'old' }));
        const waiting = await store.acceptDelivery(delivery({ token: 'waiting' }));
        const oldDecision = decisionFor(old.item);
        await store.completeInbox(old.item.id, {
          decision: oldDecision,
          actions: actionsFor(oldDecision, 1),
        });
        await store.updateAction(`${oldDecision.id}:0`, { status: 'done' });
        clock.advance(20 * day);
        const recent = await store.acceptDelivery(delivery({ token: 'recent' }));
        await store.completeInbox(recent.item.id, { skipped: 'not a trigger stage' });
        clock.advance(11 * day);

        const report = await store.prune(clock.now());

        expect(report).toEqual({
          inbox: [old.item.id],
          decisions: [oldDecision.id],
          actions: [`${oldDecision.id}:0`],
          dedupeTokens: 3,
        });
        expect(await store.getInboxItem(old.item.id)).toBeUndefined();
        expect(await store.getDecision(oldDecision.id)).toBeUndefined();
        expect((await store.pendingInbox()).map((item) => item.id)).toEqual([waiting.item.id]);
        const onDisk = await readDisk();
        expect(onDisk.inbox.map((item) => item.id)).toEqual([waiting.item.id, recent.item.id]);
        expect(onDisk.decisions).toEqual([]);
        expect(onDisk.dedupeTokens).toEqual([]);
        expect(await store.prune(clock.now())).toEqual({
          inbox: [],
          decisions: [],
          actions: [],
          dedupeTokens: 0,
        });
      });

      it('keeps a decision with an unfinished action, and its inbox item, past the retention', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = decisionFor(item);
        await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) });
        await store.updateAction(`${decision.id}:0`, { status: 'done' });
        await store.updateAction(`${decision.id}:1`, { status: 'failed' });
        clock.advance(40 * day);

        expect(await store.prune(clock.now())).toEqual({
          inbox: [],
          decisions: [],
          actions: [],
          dedupeTokens: 1,
        });
        expect(await store.getDecision(decision.id)).toBeDefined();
        expect(await store.getInboxItem(item.id)).toBeDefined();
      });

      // The same expected report on every backend: they prune the same records on the same history.
      it('prunes a mixed history of two tenants as every backend does', async () => {
        const store = await openStore();
        const ids: string[] = [];
        for (let n = 0; n < 6; n += 1) {
          const { item } = await store.acceptDelivery(delivery({ token: `t-${n}`, tenant: `t${n % 2}` }));
          ids.push(item.id);
          if (n % 3 === 0) await store.completeInbox(item.id, { skipped: 'no' });
          if (n % 3 === 1) {
            const decision = decisionFor(item, `dec-${n}`);
            await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) });
            await store.updateAction(`dec-${n}:0`, { status: 'done' });
            if (n === 1) await store.updateAction(`dec-${n}:1`, { status: 'done' });
          }
          clock.advance(10 * day);
        }
        const report = await store.prune(clock.now());
        const positions = (list: string[]) => list.map((id) => ids.indexOf(id)).sort();

        expect({ ...report, inbox: positions(report.inbox) }).toEqual({
          inbox: [0, 1],
          decisions: ['dec-1'],
          actions: ['dec-1:0', 'dec-1:1'],
          dedupeTokens: 6,
        });
      });
    });

    describe('candidate lookups (the timeline)', () => {
      function invitation(overrides: Partial<InvitationRecord> = {}): InvitationRecord {
        return {
          id: 'inv-1',
          tenant: 'acme',
          opportunityId: 'opp-1',
          test: 'Backend - Python',
          providerTestId: 't-101',
          status: 'sent',
          candidate: { name: 'Ada Lovelace', email },
          createdAt: clock.now(),
          updatedAt: clock.now(),
          ...overrides,
        };
      }

      it("finds an opportunity's records of every kind, and only its own", async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = decisionFor(item);
        await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 2) });
        const skipped = await store.acceptDelivery(delivery({ token: 'token-2' }));
        await store.completeInbox(skipped.item.id, { skipped: 'not a trigger stage' });
        await store.putInvitation(invitation());
        const other = await store.acceptDelivery(delivery({ token: 'other', opportunityId: 'opp-2' }));
        await store.acceptDelivery(delivery({ token: 'elsewhere', tenant: 'globex' }));

        const found = await store.findCandidate('acme', 'opp-1');

        expect(found?.inbox.map((record) => record.id)).toEqual([item.id, skipped.item.id]);
        expect(found?.decisions.map((record) => record.id)).toEqual([decision.id]);
        expect(found?.actions.map((record) => record.id)).toEqual([`${decision.id}:0`, `${decision.id}:1`]);
        expect(found?.invitations.map((record) => record.id)).toEqual(['inv-1']);
        expect((await store.findCandidate('acme', 'opp-2'))?.inbox).toEqual([other.item]);
        expect(await store.findCandidate('acme', 'opp-unknown')).toBeUndefined();
        expect(await store.findCandidate('nobody', 'opp-1')).toBeUndefined();
      });

      it('finds opportunities by e-mail, trimmed and in any case, from decisions and invitations', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        await store.completeInbox(item.id, {
          decision: { ...decisionFor(item), email: '  Ada.Lovelace@Example.COM ' },
          actions: [],
        });
        // Another opportunity of the same person, known only by an invitation; and another tenant's.
        await store.putInvitation(invitation({ id: 'inv-2', opportunityId: 'opp-2' }));
        await store.putInvitation(invitation({ id: 'inv-3', tenant: 'globex', opportunityId: 'opp-9' }));
        await store.putInvitation(invitation({ id: 'inv-4', opportunityId: 'opp-1' }));

        expect(await store.findOpportunitiesByEmail('acme', email)).toEqual(['opp-1', 'opp-2']);
        expect(await store.findOpportunitiesByEmail('acme', '\tADA.LOVELACE@example.com\n')).toEqual([
          'opp-1',
          'opp-2',
        ]);
        expect(await store.findOpportunitiesByEmail('globex', email)).toEqual(['opp-9']);
        expect(await store.findOpportunitiesByEmail('acme', 'ada@example.com')).toEqual([]);
        expect(await store.findOpportunitiesByEmail('acme', '   ')).toEqual([]);

        await store.close();
        const reopened = await openStore();
        expect(await reopened.findOpportunitiesByEmail('acme', 'ADA.lovelace@example.com')).toEqual([
          'opp-1',
          'opp-2',
        ]);
      });

      it('lower-cases only ASCII letters of an e-mail: a non-ASCII letter matches only as written', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        await store.completeInbox(item.id, {
          decision: { ...decisionFor(item), email: ' ÉLODIE@Example.com' },
          actions: [],
        });
        await store.putInvitation(
          invitation({ id: 'inv-2', opportunityId: 'opp-2', candidate: { email: 'Ǆ@x.org' } }),
        );

        expect(await store.findOpportunitiesByEmail('acme', 'Élodie@example.com')).toEqual(['opp-1']);
        expect(await store.findOpportunitiesByEmail('acme', 'élodie@example.com')).toEqual([]);
        expect(await store.findOpportunitiesByEmail('acme', 'Ǆ@X.ORG')).toEqual(['opp-2']);
        expect(await store.findOpportunitiesByEmail('acme', 'ǆ@x.org')).toEqual([]);
        // Only ASCII whitespace is trimmed: a no-break space is part of the address.
        expect(await store.findOpportunitiesByEmail('acme', '\u00a0Élodie@example.com')).toEqual([]);
      });

      it('finds a purged candidate by neither its opportunity id nor its e-mail', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        const decision = { ...decisionFor(item), email };
        await store.completeInbox(item.id, { decision, actions: actionsFor(decision, 1) });
        await store.putInvitation(invitation());
        await store.putInvitation(invitation({ id: 'inv-2', opportunityId: 'opp-2' }));
        expect(await store.findOpportunitiesByEmail('acme', email)).toEqual(['opp-1', 'opp-2']);

        await store.purgeCandidate('acme', 'opp-1', clock.now());
        // A vendor's late report about the purged candidate is scrubbed, so it indexes nothing either.
        await store.updateInvitation('inv-1', { candidate: { email }, status: 'completed' });

        expect(await store.findCandidate('acme', 'opp-1')).toBeUndefined();
        expect(await store.findOpportunitiesByEmail('acme', email)).toEqual(['opp-2']);
        expect((await store.getDecision(decision.id))?.email).toBeUndefined();
        expect(await store.findCandidate('acme', 'opp-2')).toBeDefined();
        await store.close();
        const reopened = await openStore();
        expect(await reopened.findCandidate('acme', 'opp-1')).toBeUndefined();
        expect(await reopened.findOpportunitiesByEmail('acme', email)).toEqual(['opp-2']);
      });

      it('forgets what retention prunes: a pruned decision no longer finds its e-mail', async () => {
        const store = await openStore();
        const { item } = await store.acceptDelivery(delivery());
        await store.completeInbox(item.id, { decision: { ...decisionFor(item), email }, actions: [] });
        expect(await store.findOpportunitiesByEmail('acme', email)).toEqual(['opp-1']);
        clock.advance(31 * day);

        const report = await store.prune(clock.now());

        expect(report.decisions).toEqual([`dec-${item.id}`]);
        expect(report.inbox).toEqual([item.id]);
        expect(await store.findOpportunitiesByEmail('acme', email)).toEqual([]);
        expect(await store.findCandidate('acme', 'opp-1')).toBeUndefined();
      });
    });

    describe('credentials', () => {
      const sealed = (n: number) => `v1.0badc0de.sealed-value-${n}`;

      it('keeps one value per tenant and kind, replaced whole, and a fresh store finds it', async () => {
        const store = await openStore();
        await store.putCredential({
          tenant: 'acme',
          kind: 'lever-oauth',
          sealed: sealed(1),
          updatedAt: start,
        });
        await store.putCredential({
          tenant: 'acme',
          kind: 'lever-webhooks',
          sealed: sealed(2),
          updatedAt: start,
        });
        await store.putCredential({
          tenant: 'globex',
          kind: 'lever-oauth',
          sealed: sealed(3),
          updatedAt: start,
        });
        await store.putCredential({
          tenant: 'acme',
          kind: 'lever-oauth',
          sealed: sealed(4),
          updatedAt: start + 1,
        });

        await store.close();
        const reopened = await openStore();
        expect(await reopened.getCredential('acme', 'lever-oauth')).toEqual({
          tenant: 'acme',
          kind: 'lever-oauth',
          sealed: sealed(4),
          updatedAt: start + 1,
        });
        expect((await reopened.getCredential('acme', 'lever-webhooks'))?.sealed).toBe(sealed(2));
        expect((await reopened.getCredential('globex', 'lever-oauth'))?.sealed).toBe(sealed(3));
        expect(await reopened.getCredential('initech', 'lever-oauth')).toBeUndefined();
        expect(await reopened.getCredential('acme', '__proto__')).toBeUndefined();
      });

      it('compare-and-swap: writes only over the value expected, and of two racing writers one wins', async () => {
        const store = await openStore();
        const record = (n: number) => ({
          tenant: 'acme',
          kind: 'lever-oauth',
          sealed: sealed(n),
          updatedAt: start + n,
        });
        // null: only when there is none.
        expect(await store.putCredentialIf(record(1), null)).toBe(true);
        expect(await store.putCredentialIf(record(2), null)).toBe(false);
        expect(await store.putCredentialIf(record(2), sealed(9))).toBe(false);
        expect((await store.getCredential('acme', 'lever-oauth'))?.sealed).toBe(sealed(1));
        expect(await store.putCredentialIf(record(2), sealed(1))).toBe(true);
        // Both expect the value they read; the first to commit wins, the other changes nothing.
        const raced = await Promise.all([
          store.putCredentialIf(record(3), sealed(2)),
          store.putCredentialIf(record(4), sealed(2)),
        ]);
        const winner = raced[0] ? 3 : 4;
        expect([...raced].sort()).toEqual([false, true]);
        // Another tenant's or kind's value is not compared against.
        expect(await store.putCredentialIf({ ...record(5), tenant: 'globex' }, sealed(2))).toBe(false);
        expect(await store.putCredentialIf({ ...record(5), kind: 'lever-webhooks' }, sealed(2))).toBe(false);
        await store.close();
        const reopened = await openStore();
        expect(await reopened.getCredential('acme', 'lever-oauth')).toEqual(record(winner));
        expect(await reopened.getCredential('globex', 'lever-oauth')).toBeUndefined();
        expect(await reopened.getCredential('acme', 'lever-webhooks')).toBeUndefined();
      });

      it('forgets a value once: of two concurrent deletes exactly one finds it, and it stays gone', async () => {
        const store = await openStore();
        await store.putCredential({
          tenant: 'acme',
          kind: 'connect-state',
          sealed: sealed(1),
          updatedAt: start,
        });
        const results = await Promise.all([
          store.deleteCredential('acme', 'connect-state'),
          store.deleteCredential('acme', 'connect-state'),
        ]);
        expect(results.sort()).toEqual([false, true]);
        expect(await store.deleteCredential('globex', 'connect-state')).toBe(false);
        await store.close();
        const reopened = await openStore();
        expect(await reopened.getCredential('acme', 'connect-state')).toBeUndefined();
      });

      it('refuses an empty tenant', async () => {
        const store = await openStore();
        await expect(
          store.putCredential({ tenant: '', kind: 'lever-oauth', sealed: sealed(1), updatedAt: start }),
        ).rejects.toMatchObject({ code: 'INTERNAL' });
      });
    });

    describe('durability and the directory', () => {
      it('commits 100 concurrent deliveries, each resolved once on disk, in arrival order', async () => {
        const store = await openStore();
        const accepted = await Promise.all(
          Array.from({ length: 100 }, (_, n) => store.acceptDelivery(delivery({ token: `token-${n}` }))),
        );
        expect((await readDisk()).inbox.map((item) => item.id)).toEqual(accepted.map(({ item }) => item.id));
      });

      fileIt('refuses to open over a corrupt file, naming it, and does not start empty', async () => {
        const store = await openStore();
        await store.acceptDelivery(delivery());
        await store.close();
        const file = backend.acmeFile(bed.dir);
        const bytes = await readFile(file);
        await writeFile(file, Buffer.concat([Buffer.from('not a database at all'), bytes.subarray(21)]));

        const error = await failedOpen();

        expect(error).toMatchObject({ code: 'STORE_FAILED', details: { file } });
        expect((error as Error).message).toContain(file);
        // The failed open let go of the lock: once the file is restored, the store opens.
        await writeFile(file, bytes);
        const reopened = await openStore();
        expect(await reopened.pendingInbox()).toHaveLength(1);
      });

      fileIt('refuses a truncated file, naming it, and opens once it is restored', async () => {
        const store = await openStore();
        for (let n = 0; n < 200; n += 1) {
          await store.acceptDelivery(delivery({ token: `t-${n}`, payload: { padding: 'x'.repeat(500) } }));
        }
        await store.close();
        const file = backend.acmeFile(bed.dir);
        const bytes = await readFile(file);
        await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));

        const error = await failedOpen();

        expect(error).toMatchObject({ code: 'STORE_FAILED', details: { file } });
        expect((error as Error).message).toContain(file);
        await writeFile(file, bytes);
        const reopened = await openStore();
        expect(await reopened.pendingInbox()).toHaveLength(200);
      });

      fileIt('refuses a second store on the same directory, naming the pid that holds it', async () => {
        await openStore();
        const error = await failedOpen();
        expect(error).toMatchObject({ code: 'STORE_FAILED', details: { pid: process.pid } });
        expect((error as Error).message).toContain(`in use by process ${process.pid}`);
      });

      it('refuses work after close, and close releases the directory', async () => {
        const store = await openStore();
        await store.checkWritable();
        const queued = store.acceptDelivery(delivery());
        await store.close();
        // Queued before the close: committed by it.
        expect((await queued).duplicate).toBe(false);
        await expect(store.acceptDelivery(delivery())).rejects.toMatchObject({ code: 'STORE_FAILED' });
        await expect(store.getInboxItem('x')).rejects.toMatchObject({ code: 'STORE_FAILED' });
        await expect(store.checkWritable()).rejects.toMatchObject({ code: 'STORE_FAILED' });
        const reopened = await openStore();
        expect(await reopened.pendingInbox()).toHaveLength(1);
      });
    });

    describe('crash', () => {
      it('finds every acknowledged delivery after the writer is killed with SIGKILL', async () => {
        const fixture = fileURLToPath(new URL('./fixtures/store-crash-writer.ts', import.meta.url));
        const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
        const child = spawn(process.execPath, ['--import', 'tsx', fixture, backend.name, bed.dir], {
          cwd: projectRoot,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          child.on('exit', (_code, signal) => resolve(signal)),
        );

        let childPid = 0;
        const acknowledged: string[] = [];
        await new Promise<void>((resolve, reject) => {
          let buffered = '';
          child.stdout.on('data', (chunk: Buffer) => {
            buffered += chunk.toString();
            const lines = buffered.split('\n');
            buffered = lines.pop() ?? '';
            for (const line of lines) {
              if (line.startsWith('ready ')) childPid = Number(line.slice('ready '.length));
              else acknowledged.push(line);
            }
            if (acknowledged.length >= 300) resolve();
          });
          child.on('exit', () => reject(new Error(`the writer exited early: ${stderr}`)));
        });

        // While the writer lives, the directory is its own.
        if (onFiles) {
          const locked = await failedOpen();
          expect((locked as Error).message).toContain(`in use by process ${childPid}`);
        } else expect(childPid).toBeGreaterThan(0);

        child.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');

        const store = await openStore();
        const missing: string[] = [];
        for (const id of acknowledged) if ((await store.getInboxItem(id)) === undefined) missing.push(id);
        expect(missing).toEqual([]);
        expect(acknowledged.length).toBeGreaterThanOrEqual(300);
      });
    });
  });
}
