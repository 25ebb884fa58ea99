import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deadlineJobId,
  REJECTION_FINAL_JOB,
  rejectionFinalJobId,
} from '../../../src/integrations/gofood/deadline.js';
import { type TestSystem, waitFor } from '../../support/system.js';
import {
  deliver,
  type GofoodHarness,
  gofoodOrder,
  orderNumber,
  startGofood,
  stockLevel,
  timeline,
} from './helpers.js';

/**
 * Short windows so the deadline and its grace period pass within a test; the rules are the same at
 * 3 min / 10 min. The grace period is long enough for one GoFood event to be delivered inside it.
 */
const TIMEOUT_MS = 300;
const GRACE_MS = 2_000;
const WAREHOUSE = 'KITCHEN-F';
const OUTLET = 'OUT-MANUAL-F';

let system: TestSystem;
let harness: GofoodHarness | undefined;

beforeAll(async () => {
  harness = await startGofood(
    { GOFOOD_MANUAL_ACCEPT_TIMEOUT_MS: String(TIMEOUT_MS), GOFOOD_REJECTION_GRACE_MS: String(GRACE_MS) },
    { [OUTLET]: { acceptanceMode: 'manual', warehouse: WAREHOUSE } },
  );
  system = harness.system;
});

afterAll(async () => {
  await harness?.stop();
});

/** Waits until the maintenance job with this id has run, and returns what it decided. */
async function jobOutcome(jobId: string): Promise<string> {
  return waitFor(async () => {
    const job = await system.process.services.queues.maintenance.getJob(jobId);
    if (!job || !(await job.isCompleted())) return undefined;
    // Read again: the copy fetched before completion has no return value yet.
    const done = await system.process.services.queues.maintenance.getJob(jobId);
    return typeof done?.returnvalue === 'string' ? done.returnvalue : undefined;
  });
}

async function stock() {
  return {
    combo: await stockLevel(system, WAREHOUSE, 'SKU-COMBO'),
    ayam: await stockLevel(system, WAREHOUSE, 'SKU-AYAM'),
  };
}

async function channelHistory(orderId: string) {
  return system.db
    .selectFrom('order_channel_statuses')
    .select(['channel_status', 'applied', 'note'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
}

/** An order at an outlet in manual mode whose deadline passed with a provisional rejection. */
async function provisionallyRejected() {
  const number = orderNumber('FIN');
  const spec = { orderNumber: number, outletId: OUTLET };
  await deliver(system, 'awaiting_merchant_acceptance', spec);
  const created = await gofoodOrder(system, number);
  expect(await jobOutcome(deadlineJobId(created.id))).toBe('rejected (provisional)');
  return { number, spec, orderId: created.id };
}

describe('when GoFood never confirms the provisional rejection at the deadline', () => {
  it('cancels the order after the grace period, releasing the stock once, with both steps on the timeline', async () => {
    const before = await stock();
    const { number, spec, orderId } = await provisionallyRejected();
    expect(await jobOutcome(rejectionFinalJobId(orderId))).toBe('cancelled (rejection final)');

    const order = await gofoodOrder(system, number);
    expect(order).toMatchObject({
      status: 'cancelled',
      channel_status: 'awaiting_merchant_acceptance',
      attention_reason: null,
    });
    expect(order.attributes.gofood).toMatchObject({
      deadlineRejection: {
        reason: 'rejected: not accepted within 0.3 s',
        finalizedAt: expect.any(String),
      },
    });
    expect(await stock()).toEqual(before);

    const tl = await timeline(system, orderId);
    const types = tl.map((e) => e.type);
    expect(types.filter((t) => t === 'stock_reserved')).toHaveLength(1);
    expect(types.filter((t) => t === 'stock_released')).toHaveLength(1);
    expect(types.filter((t) => t === 'cancelled')).toHaveLength(1);
    expect(types.indexOf('gofood_deadline_rejected')).toBeLessThan(types.indexOf('stock_released'));
    expect(types.indexOf('stock_released')).toBeLessThan(types.indexOf('cancelled'));
    expect(tl.find((e) => e.type === 'cancelled')).toEqual({
      type: 'cancelled',
      actor: 'gofood:deadline',
      from_status: 'pending',
      to_status: 'cancelled',
      message: expect.stringMatching(
        /^cancelled: our provisional rejection at the acceptance deadline \(rejected: not accepted within 0\.3 s, at .+\) was never confirmed by GoFood within 2 s$/,
      ),
    });

    // At-least-once: the job running again changes nothing.
    await system.process.services.queues.maintenance.add(
      REJECTION_FINAL_JOB,
      { orderId, graceMs: GRACE_MS },
      { jobId: `rerun-${orderId}` },
    );
    expect(await jobOutcome(`rerun-${orderId}`)).toBe('nothing to do: order is cancelled');

    // GoFood's cancellation arriving late agrees with us: recorded, nothing else changes, nobody flagged.
    await deliver(system, 'cancelled', spec);
    const confirmed = await gofoodOrder(system, number);
    expect(confirmed).toMatchObject({
      status: 'cancelled',
      channel_status: 'cancelled',
      attention_reason: null,
    });
    expect((await timeline(system, orderId)).filter((e) => e.type === 'cancelled')).toHaveLength(1);
    expect(await stock()).toEqual(before);
  });
});

describe('when GoFood confirms the cancellation within the grace period', () => {
  it('is cancelled once, by GoFood, and the finalization finds nothing to do', async () => {
    const before = await stock();
    const { number, spec, orderId } = await provisionallyRejected();
    await deliver(system, 'cancelled', spec);
    expect(await jobOutcome(rejectionFinalJobId(orderId))).toBe('nothing to do: order is cancelled');

    const order = await gofoodOrder(system, number);
    expect(order).toMatchObject({ status: 'cancelled', channel_status: 'cancelled', attention_reason: null });
    expect(order.attributes.gofood).toMatchObject({ deadlineRejection: expect.any(Object) });
    expect(order.attributes.gofood).not.toHaveProperty('deadlineRejection.finalizedAt');
    const tl = await timeline(system, orderId);
    const cancellations = tl.filter((e) => e.type === 'cancelled');
    expect(cancellations).toEqual([
      expect.objectContaining({
        actor: 'channel:gofood',
        message: 'GoFood: cancelled (confirms our rejection at the acceptance deadline)',
      }),
    ]);
    expect(tl.filter((e) => e.type === 'stock_released')).toHaveLength(1);
    expect(await stock()).toEqual(before);
  });
});

describe('when GoFood reports merchant_accepted within the grace period', () => {
  it('lets GoFood win (confirmed, stock reserved again) and the finalization finds nothing to do', async () => {
    const before = await stock();
    const { number, spec, orderId } = await provisionallyRejected();
    await deliver(system, 'merchant_accepted', spec);
    expect(await jobOutcome(rejectionFinalJobId(orderId))).toBe('nothing to do: order is confirmed');

    const order = await gofoodOrder(system, number);
    expect(order).toMatchObject({ status: 'confirmed', channel_status: 'merchant_accepted' });
    expect(order.attributes.gofood).not.toHaveProperty('deadlineRejection');
    expect(await stock()).toEqual({
      combo: { ...before.combo, reserved: before.combo.reserved + 1 },
      ayam: { ...before.ayam, reserved: before.ayam.reserved + 2 },
    });
    const types = (await timeline(system, orderId)).map((e) => e.type);
    expect(types).toContain('gofood_decision_overruled');
    expect(types).not.toContain('cancelled');
  });
});

describe('when GoFood reports merchant_accepted after the rejection was made final', () => {
  it('keeps the order cancelled, records the step unapplied and flags the order for an operator', async () => {
    const before = await stock();
    const { number, spec, orderId } = await provisionallyRejected();
    expect(await jobOutcome(rejectionFinalJobId(orderId))).toBe('cancelled (rejection final)');

    await deliver(system, 'merchant_accepted', spec);
    const order = await gofoodOrder(system, number);
    expect(order).toMatchObject({ status: 'cancelled', channel_status: 'awaiting_merchant_acceptance' });
    expect(order.attention_reason).toMatch(
      /^GoFood reports merchant_accepted, contradicting our rejection at the acceptance deadline, made final at .+ because GoFood never confirmed it; the order stays cancelled: an operator must settle it with GoFood$/,
    );
    // Still the record of our decision; not re-reserved as it would be for a provisional rejection.
    expect(order.attributes.gofood).toMatchObject({
      deadlineRejection: { finalizedAt: expect.any(String) },
    });
    expect(await stock()).toEqual(before);
    expect(await channelHistory(orderId)).toEqual([
      { channel_status: 'awaiting_merchant_acceptance', applied: true, note: null },
      {
        channel_status: 'merchant_accepted',
        applied: false,
        note: expect.stringMatching(/^contradicts our rejection .+; the order is cancelled$/),
      },
    ]);
    const tl = await timeline(system, orderId);
    expect(tl.map((e) => e.type)).not.toContain('gofood_decision_overruled');
    expect(tl.at(-1)).toMatchObject({ type: 'attention', actor: 'channel:gofood' });
  });
});
