import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineJobId } from '../../../src/integrations/gofood/deadline.js';
import type { FakeGoBiz } from '../../support/fake-gobiz.js';
import { type TestSystem, waitFor } from '../../support/system.js';
import {
  configureOutlet,
  deliver,
  type GofoodHarness,
  gofoodOrder,
  orderNumber,
  startGofood,
  stockLevel,
  timeline,
} from './helpers.js';

/** Short windows so deadlines pass within a test; the rules are the same at 60 s / 180 s. */
const TIMEOUT_MS = 400;

let system: TestSystem;
let gobiz: FakeGoBiz;
let harness: GofoodHarness | undefined;

beforeAll(async () => {
  harness = await startGofood(
    {
      GOFOOD_AUTO_ACCEPT_TIMEOUT_MS: String(TIMEOUT_MS),
      GOFOOD_MANUAL_ACCEPT_TIMEOUT_MS: String(TIMEOUT_MS),
    },
    {
      'OUT-TIMEOUT': { acceptanceMode: 'auto_accept_on_timeout', warehouse: 'KITCHEN-D' },
      'OUT-MANUAL': { acceptanceMode: 'manual', warehouse: 'KITCHEN-D' },
      'OUT-AUTO': { acceptanceMode: 'auto', warehouse: 'KITCHEN-D' },
    },
  );
  ({ system, gobiz } = harness);
});

afterAll(async () => {
  await harness?.stop();
});

async function deadlineJob(orderId: string) {
  return system.process.services.queues.maintenance.getJob(deadlineJobId(orderId));
}

/** Waits until the order's deadline job has run (whatever it decided). */
async function deadlinePassed(orderId: string): Promise<string> {
  return waitFor(async () => {
    const job = await deadlineJob(orderId);
    if (!job || !(await job.isCompleted())) return undefined;
    // Read again: the copy fetched before completion has no return value yet.
    const done = await deadlineJob(orderId);
    return typeof done?.returnvalue === 'string' ? done.returnvalue : undefined;
  });
}

describe('PUT /admin/gofood/outlets/:outletId', () => {
  it('answers 400 for an unknown mode or warehouse and 401 without the admin token', async () => {
    expect((await configureOutlet(system, 'OUT-X', { acceptanceMode: 'sometimes' })).status).toBe(400);
    expect(
      (await configureOutlet(system, 'OUT-X', { acceptanceMode: 'manual', warehouse: 'NOPE' })).status,
    ).toBe(400);
    const anonymous = await fetch(`${system.baseUrl}/admin/gofood/outlets/OUT-X`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ acceptanceMode: 'manual' }),
    });
    expect(anonymous.status).toBe(401);
    const saved = await system.admin('/admin/gofood/outlets/OUT-MANUAL');
    expect(await saved.json()).toEqual({
      outletId: 'OUT-MANUAL',
      acceptanceMode: 'manual',
      warehouse: 'KITCHEN-D',
    });
  });
});

describe('when an auto_accept_on_timeout order is not decided before the deadline', () => {
  it('is accepted at the deadline, and a later GoFood cancellation still wins with both on the timeline', async () => {
    const number = orderNumber('T');
    const spec = { orderNumber: number, outletId: 'OUT-TIMEOUT' };
    await deliver(system, 'awaiting_merchant_acceptance', spec);
    const created = await gofoodOrder(system, number);
    // The deadline may already have passed by now: check the creation on the timeline, not the live status.
    expect((await timeline(system, created.id))[0]).toMatchObject({ type: 'created', to_status: 'pending' });
    expect(await deadlinePassed(created.id)).toBe('auto-accepted');
    const accepted = await gofoodOrder(system, number);
    expect(accepted).toMatchObject({ status: 'confirmed', channel_status: 'awaiting_merchant_acceptance' });

    await deliver(system, 'cancelled', spec);
    const cancelled = await gofoodOrder(system, number);
    expect(cancelled).toMatchObject({ status: 'cancelled', channel_status: 'cancelled' });
    const messages = (await timeline(system, created.id)).map((e) => `${e.actor}: ${e.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^gofood:deadline: auto-accepted at deadline/));
    expect(messages).toContainEqual('channel:gofood: GoFood: cancelled');
  });
});

describe('when a manual order is not accepted before the deadline', () => {
  it('is rejected with its stock released and the reason on the timeline; GoFood’s cancellation makes it final', async () => {
    const before = await stockLevel(system, 'KITCHEN-D', 'SKU-AYAM');
    const number = orderNumber('M');
    const spec = { orderNumber: number, outletId: 'OUT-MANUAL' };
    await deliver(system, 'awaiting_merchant_acceptance', spec);
    const created = await gofoodOrder(system, number);
    // The deadline may already have released it by now: check the reservation on the timeline.
    expect((await timeline(system, created.id)).map((e) => e.type)).toContain('stock_reserved');
    expect(await deadlinePassed(created.id)).toBe('rejected (provisional)');

    const rejected = await gofoodOrder(system, number);
    expect(rejected.status).toBe('pending');
    expect(rejected.attributes.gofood).toMatchObject({
      deadlineRejection: { reason: 'rejected: not accepted within 0.4 s' },
    });
    expect(await stockLevel(system, 'KITCHEN-D', 'SKU-AYAM')).toEqual(before);
    const accept = await system.admin(`/admin/orders/${created.id}/accept`, { method: 'POST' });
    expect(accept.status).toBe(409);
    expect(((await accept.json()) as { error: { code: string } }).error.code).toBe(
      'rule_not_awaiting_acceptance',
    );

    await deliver(system, 'cancelled', spec);
    const final = await gofoodOrder(system, number);
    expect(final).toMatchObject({ status: 'cancelled', channel_status: 'cancelled' });
    const tl = await timeline(system, created.id);
    expect(tl.map((e) => e.type)).toEqual(
      expect.arrayContaining(['gofood_deadline_rejected', 'stock_released', 'cancelled']),
    );
    expect(tl.find((e) => e.type === 'gofood_deadline_rejected')?.message).toContain(
      'rejected: not accepted within 0.4 s',
    );
    expect(await stockLevel(system, 'KITCHEN-D', 'SKU-AYAM')).toEqual(before);
  });

  it('gives way when GoFood then says merchant_accepted: confirmed, stock reserved again, both on the timeline', async () => {
    const before = await stockLevel(system, 'KITCHEN-D', 'SKU-AYAM');
    const number = orderNumber('M');
    const spec = { orderNumber: number, outletId: 'OUT-MANUAL' };
    await deliver(system, 'awaiting_merchant_acceptance', spec);
    const created = await gofoodOrder(system, number);
    expect(await deadlinePassed(created.id)).toBe('rejected (provisional)');

    await deliver(system, 'merchant_accepted', spec);
    const order = await gofoodOrder(system, number);
    expect(order).toMatchObject({ status: 'confirmed', channel_status: 'merchant_accepted' });
    expect(order.attributes.gofood).not.toHaveProperty('deadlineRejection');
    expect(await stockLevel(system, 'KITCHEN-D', 'SKU-AYAM')).toEqual({
      ...before,
      reserved: before.reserved + 2,
    });
    const types = (await timeline(system, created.id)).map((e) => e.type);
    expect(types.indexOf('gofood_deadline_rejected')).toBeGreaterThan(-1);
    expect(types.indexOf('gofood_decision_overruled')).toBeGreaterThan(
      types.indexOf('gofood_deadline_rejected'),
    );

    await deliver(system, 'completed', spec);
    expect(await stockLevel(system, 'KITCHEN-D', 'SKU-AYAM')).toEqual({
      on_hand: before.on_hand - 2,
      reserved: before.reserved,
    });
  });
});

describe('when the outlet is in auto mode', () => {
  it('schedules no deadline: the order waits for GoFood', async () => {
    const number = orderNumber('A');
    await deliver(system, 'awaiting_merchant_acceptance', { orderNumber: number, outletId: 'OUT-AUTO' });
    const order = await gofoodOrder(system, number);
    expect(order.status).toBe('pending');
    expect(await deadlineJob(order.id)).toBeUndefined();
  });
});

describe('when GoFood’s acceptance races the deadline', () => {
  for (const [mode, outletId] of [
    ['manual', 'OUT-MANUAL'],
    ['auto_accept_on_timeout', 'OUT-TIMEOUT'],
  ] as const) {
    for (const waitMs of [0, TIMEOUT_MS - 50, TIMEOUT_MS, TIMEOUT_MS + 50]) {
      it(`(${mode}, merchant_accepted ${waitMs} ms after awaiting) ends confirmed with the stock reserved once`, async () => {
        const before = await stockLevel(system, 'KITCHEN-D', 'SKU-COMBO');
        const number = orderNumber('R');
        const spec = { orderNumber: number, outletId };
        await deliver(system, 'awaiting_merchant_acceptance', spec);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        await deliver(system, 'merchant_accepted', spec);
        const created = await gofoodOrder(system, number);
        await deadlinePassed(created.id);
        const order = await gofoodOrder(system, number);
        expect(order).toMatchObject({ status: 'confirmed', channel_status: 'merchant_accepted' });
        expect(order.attributes.gofood).not.toHaveProperty('deadlineRejection');
        expect(await stockLevel(system, 'KITCHEN-D', 'SKU-COMBO')).toEqual({
          ...before,
          reserved: before.reserved + 1,
        });
      });
    }
  }
});

describe('when the merchant accepts around the deadline', () => {
  it('either the acceptance wins (200, GoBiz told) or the deadline did (409), never both', async () => {
    for (const waitMs of [0, TIMEOUT_MS + 200]) {
      const number = orderNumber('D');
      await deliver(system, 'awaiting_merchant_acceptance', { orderNumber: number, outletId: 'OUT-MANUAL' });
      const created = await gofoodOrder(system, number);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      const res = await system.admin(`/admin/orders/${created.id}/accept`, { method: 'POST' });
      const outcome = await deadlinePassed(created.id);
      const order = await gofoodOrder(system, number);
      if (res.status === 200) {
        expect(outcome).toBe('nothing to do: order is confirmed');
        expect(order.status).toBe('confirmed');
        await waitFor(() => gobiz.accepted.calls.some((c) => c.params.orderNumber === number));
      } else {
        expect(res.status).toBe(409);
        expect(outcome).toBe('rejected (provisional)');
        expect(order.status).toBe('pending');
        expect(gobiz.accepted.calls.some((c) => c.params.orderNumber === number)).toBe(false);
      }
    }
  });
});
