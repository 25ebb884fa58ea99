/** Where our orders meet a Razorpay account: the least it takes a payment for. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  ]);
});
afterAll(async () => {
  await sf?.stop();
});

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
