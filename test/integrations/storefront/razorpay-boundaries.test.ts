/**
 * Where our orders meet a Razorpay account: the least it takes a payment for, and its events about payments
 * that are not ours (an account is often shared with other systems).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentEvent, refundEvent, sendWebhook } from '../../support/fake-razorpay.js';
import { waitFor } from '../../support/system.js';
import {
  adminOrder,
  expectOk,
  json,
  placeOrder,
  type Storefront,
  startStorefront,
  stock,
  stockOf,
} from './helpers.js';

let sf: Storefront;
beforeAll(async () => {
  sf = await startStorefront({
    // Shipping is always free here, so a cart's total is its items'.
    STOREFRONT_FREE_SHIPPING_FROM: '0',
  });
  await stock(sf.system, [
    { sku: 'PIN-1', price: 99, gstRate: 0, onHand: 10 },
    { sku: 'PIN-2', price: 100, gstRate: 0, onHand: 10 },
    { sku: 'LAMP-1', price: 25_000, gstRate: 18, onHand: 10 },
  ]);
});
afterAll(async () => {
  await sf?.stop();
});

/** The inbox row of a webhook sent under `eventId`. */
const eventRow = (eventId: string) =>
  sf.system.db
    .selectFrom('inbound_events')
    .select(['id', 'status', 'attempts', 'outcome', 'last_error'])
    .where('source', '=', 'razorpay')
    .where('dedup_key', '=', eventId)
    .executeTakeFirst();

const interventionsOf = (eventIds: string[]) =>
  sf.system.db.selectFrom('interventions').select('source').where('event_id', 'in', eventIds).execute();

describe('when a checkout totals less than Razorpay takes a payment for', () => {
  it('fails with the reason at the status URL, reserving nothing and asking Razorpay for nothing', async () => {
    const calls = sf.razorpay.orders.calls.length;
    const small = await placeOrder(sf.system, 'small-1', [{ sku: 'PIN-1', quantity: 1 }]);
    expect(small).toMatchObject({
      status: 'failed',
      reason: "total 99 is below Razorpay's minimum payment of 100 (minor units of INR)",
    });
    const orders = await sf.system.db
      .selectFrom('orders')
      .select('id')
      .where('id', '=', small.orderId)
      .execute();
    expect(orders).toEqual([]);
    expect(await stockOf(sf.system, 'PIN-1')).toEqual({ on_hand: 10, reserved: 0 });
    expect(sf.razorpay.orders.calls).toHaveLength(calls);
  });

  it('takes a total of exactly the minimum to Razorpay', async () => {
    const placed = await placeOrder(sf.system, 'small-2', [{ sku: 'PIN-2', quantity: 1 }]);
    expect(placed.status).toBe('created');
    const { orderNumber, total } = await adminOrder(sf.system, placed.orderId);
    expect(total).toBe(100);
    expect(await waitFor(() => sf.razorpay.orderFor(orderNumber))).toMatchObject({ amount: 100 });
  });

  it('still confirms a total of 0 without Razorpay', async () => {
    await expectOk(
      sf.system.admin('/admin/discounts/PINFREE', json('PUT', { kind: 'percent', value: 100, active: true })),
    );
    const placed = await placeOrder(sf.system, 'small-3', [{ sku: 'PIN-1', quantity: 1 }], {
      discountCode: 'PINFREE',
    });
    expect(placed.status).toBe('created');
    expect(await adminOrder(sf.system, placed.orderId)).toMatchObject({
      total: 0,
      status: 'confirmed',
      paymentStatus: 'paid',
    });
  });
});

describe('when Razorpay reports payments of another system on the same account', () => {
  it('settles each event as ignored on its first attempt, with no intervention', async () => {
    const events = {
      evt_other_captured: paymentEvent('payment.captured', {
        paymentId: 'pay_OTHER0000001',
        razorpayOrderId: 'order_OTHER000000001',
        amount: 5000,
      }),
      evt_other_paid: paymentEvent('order.paid', {
        paymentId: 'pay_OTHER0000001',
        razorpayOrderId: 'order_OTHER000000001',
        amount: 5000,
        receipt: 'INV-2041',
        orderNotes: { orderId: 'erp-77', shop: 'elsewhere' },
      }),
      evt_other_failed: paymentEvent('payment.failed', {
        paymentId: 'pay_OTHER0000002',
        razorpayOrderId: 'order_OTHER000000002',
        amount: 5000,
      }),
      evt_other_refund: refundEvent({
        id: 'rfnd_OTHER000001',
        paymentId: 'pay_OTHER0000001',
        amount: 5000,
        razorpayOrderId: 'order_OTHER000000001',
      }),
    };
    for (const [eventId, body] of Object.entries(events)) {
      expect((await sendWebhook(sf.system.baseUrl, body, { eventId })).status).toBe(202);
    }
    const rows = await waitFor(async () => {
      const all = await Promise.all(Object.keys(events).map(eventRow));
      return all.every((row) => row?.status === 'processed') ? all : undefined;
    });
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'processed', attempts: 1, last_error: null });
      expect(row?.outcome).toMatch(/^ignored: not an order of ours/);
    }
    expect(await interventionsOf(rows.map((row) => row?.id ?? ''))).toEqual([]);
  });
});

describe('when an event names an order of ours whose Razorpay order is not recorded yet', () => {
  it('is retried, not ignored, and confirms the order once the Razorpay order is recorded', async () => {
    // Razorpay makes the order but its answer is lost, and the retry's look-up by receipt (which adopts it)
    // waits: our record of the Razorpay order does not exist while the payment event is first handled.
    const create = sf.razorpay.orders.handler;
    sf.razorpay.orders.handler = async (req) => {
      sf.razorpay.orders.handler = create;
      await create(req);
      return { status: 502, body: { error: { code: 'SERVER_ERROR', description: 'bad gateway' } } };
    };
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const list = sf.razorpay.orderList.handler;
    let lookups = 0;
    sf.razorpay.orderList.handler = async (req) => {
      // The first attempt's look-up (before it creates) answers; the retry's waits.
      if (++lookups > 1) await held;
      return list(req);
    };
    try {
      const placed = await placeOrder(sf.system, 'racer-1', [{ sku: 'LAMP-1', quantity: 1 }]);
      const { orderNumber } = await adminOrder(sf.system, placed.orderId);
      const rz = await waitFor(() => sf.razorpay.orderFor(orderNumber));
      const paid = paymentEvent('order.paid', {
        paymentId: 'pay_RACE00000001',
        razorpayOrderId: rz.id,
        amount: rz.amount,
        receipt: orderNumber,
        orderNotes: { orderId: placed.orderId },
      });
      expect((await sendWebhook(sf.system.baseUrl, paid, { eventId: 'evt_race_paid' })).status).toBe(202);
      const failed = await waitFor(async () => {
        const row = await eventRow('evt_race_paid');
        return row?.status === 'failed' ? row : undefined;
      });
      expect(failed.last_error).toContain(`of order ${orderNumber} is not recorded yet`);
      release();
      const done = await waitFor(async () => {
        const row = await eventRow('evt_race_paid');
        return row?.status === 'processed' ? row : undefined;
      });
      expect(done.attempts).toBeGreaterThan(1);
      expect(done.outcome).toBe('confirmed by payment pay_RACE00000001');
      const order = await adminOrder(sf.system, placed.orderId);
      expect(order).toMatchObject({ status: 'confirmed', paymentStatus: 'paid', attentionReason: null });
      expect(await interventionsOf([done.id])).toEqual([]);
    } finally {
      release();
      sf.razorpay.orderList.handler = list;
    }
  });
});

describe('when a refund of a payment of ours arrives before the payment is recorded', () => {
  it('is retried, not ignored, and recorded once the capture is', async () => {
    const placed = await placeOrder(sf.system, 'racer-2', [{ sku: 'LAMP-1', quantity: 1 }]);
    const { orderNumber } = await adminOrder(sf.system, placed.orderId);
    const rz = await waitFor(() => sf.razorpay.orderFor(orderNumber));
    await waitFor(() =>
      sf.system.db
        .selectFrom('razorpay_orders')
        .select('order_id')
        .where('razorpay_order_id', '=', rz.id)
        .executeTakeFirst(),
    );
    // A refund made in Razorpay's dashboard, reported before the capture it refunds.
    const refund = refundEvent({
      id: 'rfnd_EARLY0000001',
      paymentId: 'pay_EARLY0000001',
      amount: 1000,
      razorpayOrderId: rz.id,
    });
    expect((await sendWebhook(sf.system.baseUrl, refund, { eventId: 'evt_early_refund' })).status).toBe(202);
    const failed = await waitFor(async () => {
      const row = await eventRow('evt_early_refund');
      return row?.status === 'failed' ? row : undefined;
    });
    expect(failed.last_error).toContain('no storefront payment pay_EARLY0000001 recorded yet');
    const captured = paymentEvent('payment.captured', {
      paymentId: 'pay_EARLY0000001',
      razorpayOrderId: rz.id,
      amount: rz.amount,
    });
    expect((await sendWebhook(sf.system.baseUrl, captured)).status).toBe(202);
    const done = await waitFor(async () => {
      const row = await eventRow('evt_early_refund');
      return row?.status === 'processed' ? row : undefined;
    });
    expect(done.outcome).toBe('refund rfnd_EARLY0000001 recorded');
    expect(await adminOrder(sf.system, placed.orderId)).toMatchObject({
      status: 'confirmed',
      paymentStatus: 'partially_refunded',
      refundedTotal: 1000,
    });
  });
});
