import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPoller } from '../../../src/execute/create-poller.js';
import { createManualClock } from '../../../src/kernel/clock.js';
import type { AssessmentProvider, ProviderStatus } from '../../../src/providers/types.js';
import { createLowdbStore } from '../../../src/store/lowdb/create-lowdb-store.js';
import type { Store } from '../../../src/store/types.js';
import { loadShippedTenant } from '../../support/load-shipped-tenant.js';

const clock = createManualClock(Date.UTC(2025, 0, 6, 9, 0, 0));
const log = pino({ level: 'silent' });
const demo = loadShippedTenant('demo', {
  DEMO__LEVER_API_KEY: 'k',
  DEMO__LEVER_STAGE_TOKEN: 't',
  DEMO__VENDOR_KEY: 'v',
});
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagegate-poller-'));
  store = await createLowdbStore({ dir, clock, commitIntervalMs: 0 });
  for (const n of [1, 2]) {
    await store.putInvitation({
      id: `inv-${n}`,
      tenant: 'demo',
      opportunityId: `opp-${n}`,
      test: 'Backend - Python',
      providerTestId: 'sandbox-python',
      status: 'sent',
      vendorInvitationId: `pi-${n}`,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
  }
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A vendor whose test_status answers only when the test lets it: a slow vendor, without real time. */
function slowVendor() {
  const asked: string[] = [];
  const waiting: Array<() => void> = [];
  let askedOnce: () => void = () => {};
  const firstAsked = new Promise<void>((resolve) => {
    askedOnce = resolve;
  });
  const provider: AssessmentProvider = {
    listTests: async () => [],
    sendTest: async () => {
      throw new Error('the poller never sends');
    },
    async getStatus(id): Promise<ProviderStatus> {
      asked.push(id);
      askedOnce();
      await new Promise<void>((resolve) => waiting.push(resolve));
      return { status: 'sent', score: null, reportUrl: null, metadata: {} };
    },
  };
  const releaseAll = async () => {
    // Each answer lets the poll go on to the next invitation, which waits in turn.
    for (let i = 0; i < 10 && (waiting.length > 0 || i === 0); i++) {
      for (const resolve of waiting.splice(0)) resolve();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { provider, asked, firstAsked, releaseAll };
}

describe('the poller', () => {
  it('does not overlap itself: a tick while one runs joins it and asks the vendor nothing more', async () => {
    const vendor = slowVendor();
    const poller = createPoller({
      store,
      tenant: (id) => (id === 'demo' ? demo : undefined),
      provider: () => vendor.provider,
      clock,
      log,
      onCompleted: () => {},
    });
    // The timer fires (here: the test calls what the interval calls), the vendor is slow...
    const first = poller.poll();
    await vendor.firstAsked;
    // ... and the interval fires again, twice, before the first tick is over.
    clock.advance(3_600_000);
    const second = poller.poll();
    const third = poller.poll();
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(vendor.asked).toEqual(['pi-1']);

    await vendor.releaseAll();
    expect(await first).toEqual({ checked: 2, completed: 0 });
    expect(await second).toEqual({ checked: 2, completed: 0 });
    expect(vendor.asked).toEqual(['pi-1', 'pi-2']);

    // Once it is over, the next tick is a poll of its own.
    const next = poller.poll();
    expect(next).not.toBe(first);
    await vendor.releaseAll();
    expect(await next).toEqual({ checked: 2, completed: 0 });
    expect(vendor.asked).toEqual(['pi-1', 'pi-2', 'pi-1', 'pi-2']);
  });

  it('starts again after a poll that failed', async () => {
    let fail = true;
    const poller = createPoller({
      store: {
        ...store,
        listInvitations: async (filter) => {
          if (fail) throw new Error('store down');
          return store.listInvitations(filter);
        },
      },
      tenant: () => undefined,
      provider: () => slowVendor().provider,
      clock,
      log,
      onCompleted: () => {},
    });
    await expect(poller.poll()).rejects.toThrow('store down');
    fail = false;
    await expect(poller.poll()).resolves.toEqual({ checked: 2, completed: 0 });
  });
});
