import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInboxQueue } from '../../durability/helpers.js';
import { paymentEvent, sendWebhook } from '../../support/fake-razorpay.js';
import { waitFor } from '../../support/system.js';
import {
  adminOrder,
  checkout,
  checkoutBody,
  customerGet,
  customerToken,
  expectOk,
  json,
  placeOrder,
  razorpayOrderOf,
  type Storefront,
  startStorefront,
  stock,
  stockOf,
} from './helpers.js';

let sf: Storefront;
beforeAll(async () => {
  sf = await startStorefront();
});
afterAll(async () => {
  await sf?.stop();
});

/** What a checkout's order id left in the order and reservation tables. */
async function leftBehind(orderId: string) {
  const [orders, reservations] = await Promise.all([
    sf.system.db.selectFrom('orders').select('id').where('id', '=', orderId).execute(),
    sf.system.db
      .selectFrom('stock_reservations')
      .select('order_id')
      .where('order_id', '=', orderId)
      .execute(),
  ]);
  return { orders, reservations };
}

describe('when a customer checks out a priced cart with a discount code', () => {
  it('creates the order with its prices, GST, snapshots and reserved stock, and a Razorpay order', async () => {
    await stock(sf.system, [
      { sku: 'TEA-1', price: 999, gstRate: 18, onHand: 10 },
      { sku: 'MUG-1', price: 1001, gstRate: 5, onHand: 10 },
    ]);
    await expectOk(
      sf.system.admin('/admin/discounts/TEN', json('PUT', { kind: 'percent', value: 10, active: true })),
    );
    // Razorpay is down for the first call: the outbox retries it.
    sf.razorpay.orders.fail({ status: 503 });
    const body = checkoutBody(
      [
        { sku: 'TEA-1', quantity: 1 },
        { sku: 'MUG-1', quantity: 2 },
      ],
      { discountCode: 'ten' },
    );
    const res = await checkout(sf.system, 'cust-a', body, 'checkout-key-0001');
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { orderId: string; statusUrl: string };
    expect(answer.statusUrl).toBe(`/storefront/checkouts/${answer.orderId}`);

    // The same key and body is the same checkout; another body under the key is refused.
    const again = await checkout(sf.system, 'cust-a', body, 'checkout-key-0001');
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ orderId: answer.orderId, duplicate: true });
    const changed = await checkout(
      sf.system,
      'cust-a',
      { ...body, discountCode: undefined },
      'checkout-key-0001',
    );
    expect(changed.status).toBe(422);

    const status = await waitFor(async () => {
      const s = (await (await customerGet(sf.system, 'cust-a', answer.statusUrl)).json()) as {
        status: string;
      };
      return s.status === 'created' ? s : undefined;
    });
    expect(status).toMatchObject({
      orderId: answer.orderId,
      orderUrl: `/storefront/orders/${answer.orderId}`,
    });

    const order = await adminOrder(sf.system, answer.orderId);
    // 999 + 2 × 1001 = 3001; 10% → 300 shared 100 / 200; GST 162 + 90; shipping 5000.
    expect(order).toMatchObject({
      channel: 'storefront',
      status: 'pending',
      paymentStatus: 'pending',
      currency: 'INR',
      subtotal: 3001,
      discountTotal: 300,
      taxTotal: 252,
      shippingTotal: 5000,
      total: 7953,
    });
    expect(order.items).toEqual([
      expect.objectContaining({
        sku: 'TEA-1',
        unitPrice: 999,
        totalPrice: 999,
        taxRateBp: 1800,
        metadata: { gstAmount: 162, discountAmount: 100 },
      }),
      expect.objectContaining({
        sku: 'MUG-1',
        unitPrice: 1001,
        totalPrice: 2002,
        taxRateBp: 500,
        metadata: { gstAmount: 90, discountAmount: 200 },
      }),
    ]);
    expect(order.attributes).toMatchObject({
      discountCode: 'TEN',
      shippingAddress: { city: 'Bengaluru' },
      pricingSnapshot: {
        engineVersion: 'storefront-pricing/1',
        ruleHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
      discountSnapshot: {
        appliedDiscounts: [{ code: 'TEN', amount: 300 }],
        ruleHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    expect(await stockOf(sf.system, 'TEA-1')).toEqual({ on_hand: 10, reserved: 1 });

    const rz = await razorpayOrderOf(sf, answer.orderId);
    expect(rz).toMatchObject({ amount: 7953, currency: 'INR' });
    expect(sf.razorpay.orders.calls).toHaveLength(2);
  });
});

describe('when Razorpay creates the order but its answer is lost', () => {
  it('adopts that order on the retry, found by its receipt, instead of creating a second', async () => {
    await stock(sf.system, [{ sku: 'LOST-1', price: 2500, gstRate: 18, onHand: 5 }]);
    const create = sf.razorpay.orders.handler;
    sf.razorpay.orders.handler = async (req) => {
      sf.razorpay.orders.handler = create;
      await create(req);
      return { status: 502, body: { error: { code: 'SERVER_ERROR', description: 'bad gateway' } } };
    };
    const placed = await placeOrder(sf.system, 'cust-lost', [{ sku: 'LOST-1', quantity: 1 }]);
    const { orderNumber } = await adminOrder(sf.system, placed.orderId);
    const recorded = await waitFor(() =>
      sf.system.db
        .selectFrom('razorpay_orders')
        .select('razorpay_order_id')
        .where('order_id', '=', placed.orderId)
        .executeTakeFirst(),
    );
    const made = [...sf.razorpay.created].filter(([, order]) => order.receipt === orderNumber);
    expect(made.map(([id]) => id)).toEqual([recorded.razorpay_order_id]);
    expect(sf.razorpay.orderList.calls.some((call) => call.query.receipt === orderNumber)).toBe(true);
  });
});

describe('when the cart names an unknown sku or an unusable code', () => {
  it('fails the checkout with its reason at the status URL and creates nothing', async () => {
    const unknown = await placeOrder(sf.system, 'cust-c', [{ sku: 'NOPE', quantity: 1 }]);
    expect(unknown).toMatchObject({ status: 'failed', reason: 'unknown sku NOPE' });
    const code = await placeOrder(sf.system, 'cust-c', [{ sku: 'TEA-1', quantity: 1 }], {
      discountCode: 'NOSUCH',
    });
    expect(code).toMatchObject({ status: 'failed', reason: 'unknown discount code NOSUCH' });
    const orders = await sf.system.db
      .selectFrom('orders')
      .select('id')
      .where('id', 'in', [unknown.orderId, code.orderId])
      .execute();
    expect(orders).toEqual([]);
  });
});

describe('when the checkout request is not acceptable', () => {
  it('answers 401, 400 or 422 and stores nothing', async () => {
    const events = () =>
      sf.system.db
        .selectFrom('inbound_events')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('source', '=', 'storefront')
        .executeTakeFirstOrThrow();
    const before = await events();
    const body = checkoutBody([{ sku: 'TEA-1', quantity: 1 }]);
    const anonymous = await fetch(`${sf.system.baseUrl}/storefront/checkout`, json('POST', body));
    expect(anonymous.status).toBe(401);
    const res = await fetch(`${sf.system.baseUrl}/storefront/checkout`, {
      ...json('POST', body),
      headers: { 'content-type': 'application/json', authorization: 'Bearer not.a.jwt' },
    });
    expect(res.status).toBe(401);
    const noItems = await checkout(sf.system, 'cust-b', { ...body, items: [] });
    expect(noItems.status).toBe(400);
    const twice = await checkout(sf.system, 'cust-b', {
      ...body,
      items: [
        { sku: 'TEA-1', quantity: 1 },
        { sku: 'TEA-1', quantity: 2 },
      ],
    });
    expect(twice.status).toBe(400);
    const noKey = await fetch(`${sf.system.baseUrl}/storefront/checkout`, {
      ...json('POST', body),
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await customerToken('cust-b')}`,
      },
    });
    expect(noKey.status).toBe(400);
    expect(await events()).toEqual(before);
  });
});

describe('when two checkouts race for the last unit', () => {
  it('gives it to exactly one order; the other fails with its reason and leaves nothing behind', async () => {
    await stock(sf.system, [{ sku: 'LAST-1', price: 50_000, gstRate: 12, onHand: 1 }]);
    const [a, b] = await Promise.all([
      placeOrder(sf.system, 'racer-1', [{ sku: 'LAST-1', quantity: 1 }]),
      placeOrder(sf.system, 'racer-2', [{ sku: 'LAST-1', quantity: 1 }]),
    ]);
    const outcomes = [a, b].map((o) => o.status).sort();
    expect(outcomes).toEqual(['created', 'failed']);
    const failed = [a, b].find((o) => o.status === 'failed');
    expect(failed?.reason).toMatch(/out of stock: LAST-1 \(requested 1, available 0\)/);
    expect(await stockOf(sf.system, 'LAST-1')).toEqual({ on_hand: 1, reserved: 1 });
    expect(await leftBehind(failed?.orderId ?? '')).toEqual({ orders: [], reservations: [] });
  });
});

describe('when one line of a cart is short and the others are not', () => {
  it('fails the whole checkout: no order, and no line keeps a reservation', async () => {
    await stock(sf.system, [
      { sku: 'PLENTY-1', price: 1000, gstRate: 5, onHand: 50 },
      { sku: 'SCARCE-1', price: 1000, gstRate: 5, onHand: 1 },
    ]);
    const failed = await placeOrder(sf.system, 'short-1', [
      { sku: 'PLENTY-1', quantity: 3 },
      { sku: 'SCARCE-1', quantity: 2 },
    ]);
    expect(failed).toMatchObject({
      status: 'failed',
      reason: 'out of stock: SCARCE-1 (requested 2, available 1)',
    });
    expect(await stockOf(sf.system, 'PLENTY-1')).toEqual({ on_hand: 50, reserved: 0 });
    expect(await stockOf(sf.system, 'SCARCE-1')).toEqual({ on_hand: 1, reserved: 0 });
    expect(await leftBehind(failed.orderId)).toEqual({ orders: [], reservations: [] });
  });
});

describe('when Razorpay reports the payment several times, and by two events at once', () => {
  it('confirms the order once and commits its stock', async () => {
    await stock(sf.system, [{ sku: 'PAY-1', price: 20_000, gstRate: 18, onHand: 5 }]);
    const placed = await placeOrder(sf.system, 'payer-1', [{ sku: 'PAY-1', quantity: 2 }]);
    const rz = await razorpayOrderOf(sf, placed.orderId);
    const fields = { paymentId: 'pay_OK0000000001', razorpayOrderId: rz.id, amount: rz.amount };
    const captured = paymentEvent('payment.captured', fields);
    const answers = await Promise.all([
      sendWebhook(sf.system.baseUrl, captured, { eventId: 'evt_dup_1' }),
      sendWebhook(sf.system.baseUrl, captured, { eventId: 'evt_dup_1' }),
      sendWebhook(sf.system.baseUrl, paymentEvent('order.paid', fields)),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 202, 202]);
    // The events first, then the order: read the other way round, the order could predate the events' outcome.
    await waitFor(async () => {
      const done = await sf.system.db
        .selectFrom('inbound_events')
        .select('status')
        .where('source', '=', 'razorpay')
        .where('external_order_id', '=', rz.id)
        .execute();
      return done.length === 2 && done.every((e) => e.status === 'processed');
    });
    const order = await adminOrder(sf.system, placed.orderId);
    expect(order).toMatchObject({ status: 'confirmed', paymentStatus: 'paid', attentionReason: null });
    expect(order.timeline.filter((e) => e.toStatus === 'confirmed')).toHaveLength(1);
    expect(order.timeline.filter((e) => e.type === 'stock_committed')).toHaveLength(1);
    expect(await stockOf(sf.system, 'PAY-1')).toEqual({ on_hand: 3, reserved: 0 });
  });
});

describe('when a payment does not match the order', () => {
  it('flags the order and opens a payment_mismatch intervention, never confirming it', async () => {
    await stock(sf.system, [{ sku: 'MIS-1', price: 30_000, gstRate: 0, onHand: 5 }]);
    const placed = await placeOrder(sf.system, 'payer-2', [{ sku: 'MIS-1', quantity: 1 }]);
    const rz = await razorpayOrderOf(sf, placed.orderId);
    await sendWebhook(
      sf.system.baseUrl,
      paymentEvent('payment.captured', {
        paymentId: 'pay_SHORT0000001',
        razorpayOrderId: rz.id,
        amount: rz.amount - 100,
      }),
    );
    await sendWebhook(
      sf.system.baseUrl,
      paymentEvent('payment.captured', {
        paymentId: 'pay_USD00000001',
        razorpayOrderId: rz.id,
        amount: rz.amount,
        currency: 'USD',
      }),
    );
    const interventions = await waitFor(async () => {
      const rows = await sf.system.db
        .selectFrom('interventions')
        .selectAll()
        .where('order_id', '=', placed.orderId)
        .where('source', '=', 'payment_mismatch')
        .orderBy('opened_at')
        .execute();
      return rows.length === 2 ? rows : undefined;
    });
    expect(interventions.map((i) => i.source)).toEqual(['payment_mismatch', 'payment_mismatch']);
    const order = await adminOrder(sf.system, placed.orderId);
    expect(order).toMatchObject({ status: 'pending', paymentStatus: 'pending' });
    expect(order.attentionReason).toMatch(/does not match/);
  });
});

describe('when one payment does not match the order', () => {
  it('opens exactly one open intervention, of source payment_mismatch, whose resolution clears the flag', async () => {
    await stock(sf.system, [{ sku: 'MIS-2', price: 20_000, gstRate: 0, onHand: 5 }]);
    const placed = await placeOrder(sf.system, 'payer-4', [{ sku: 'MIS-2', quantity: 1 }]);
    const rz = await razorpayOrderOf(sf, placed.orderId);
    const paymentId = 'pay_ONEMIS000001';
    await sendWebhook(
      sf.system.baseUrl,
      paymentEvent('payment.captured', { paymentId, razorpayOrderId: rz.id, amount: rz.amount - 1 }),
    );
    const event = await waitFor(() =>
      sf.system.db
        .selectFrom('inbound_events')
        .select(['id', 'status'])
        .where('outcome', 'like', `%${paymentId}%`)
        .executeTakeFirst(),
    );
    expect(event.status).toBe('attention');
    // The worker records an event's entry before it completes the event's job.
    const inbox = await openInboxQueue(sf.system.config.QUEUE_PREFIX);
    try {
      await waitFor(async () => (await (await inbox.queue.getJob(event.id))?.getState()) === 'completed');
    } finally {
      await inbox.close();
    }
    const open = () =>
      sf.system.db
        .selectFrom('interventions')
        .select(['id', 'source'])
        .where('state', '=', 'open')
        .where((eb) => eb.or([eb('order_id', '=', placed.orderId), eb('event_id', '=', event.id)]))
        .execute();
    const [entry, ...others] = await open();
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ source: 'payment_mismatch' });
    // A reconciliation run finds the flagged order and the event needing attention: both have their entry.
    expect((await sf.system.admin('/admin/reconciliation/runs', { method: 'POST' })).status).toBe(201);
    expect(await open()).toEqual([entry]);

    const resolved = await sf.system.admin(
      `/admin/interventions/${entry?.id}/resolve`,
      json('POST', { note: 'refunded the short payment' }),
    );
    expect(resolved.status).toBe(200);
    expect((await adminOrder(sf.system, placed.orderId)).attentionReason).toBeNull();
  });
});

describe('when a payment fails and a second attempt is captured', () => {
  it('records the failure with the order pending, then confirms on the capture', async () => {
    await stock(sf.system, [{ sku: 'FAIL-1', price: 10_000, gstRate: 5, onHand: 5 }]);
    const placed = await placeOrder(sf.system, 'payer-3', [{ sku: 'FAIL-1', quantity: 1 }]);
    const rz = await razorpayOrderOf(sf, placed.orderId);
    const base = { razorpayOrderId: rz.id, amount: rz.amount };
    const failed = paymentEvent('payment.failed', { ...base, paymentId: 'pay_FAIL00000001' });
    (failed.payload as { payment: { entity: Record<string, unknown> } }).payment.entity.currency = '';
    expect((await sendWebhook(sf.system.baseUrl, failed)).status).toBe(202);
    const afterFailure = await waitFor(async () => {
      const o = await adminOrder(sf.system, placed.orderId);
      return o.paymentStatus === 'failed' ? o : undefined;
    });
    expect(afterFailure.status).toBe('pending');
    expect(afterFailure.timeline.some((e) => e.type === 'payment_failed')).toBe(true);
    await sendWebhook(
      sf.system.baseUrl,
      paymentEvent('payment.captured', { ...base, paymentId: 'pay_OK0000000003' }),
    );
    await waitFor(async () => (await adminOrder(sf.system, placed.orderId)).status === 'confirmed');
  });
});

describe('when a webhook is not signed by Razorpay', () => {
  it.each([
    ['no signature', undefined],
    ['a signature that is not 64 hex characters', 'abc123'],
    ['a signature under another secret', 'other-secret'],
  ])('answers 401 to %s and stores nothing', async (_name, variant) => {
    const body = paymentEvent('payment.captured', {
      paymentId: 'pay_FORGED000001',
      razorpayOrderId: 'order_x',
      amount: 1,
    });
    const res =
      variant === undefined
        ? await fetch(`${sf.system.baseUrl}/webhooks/razorpay`, json('POST', body))
        : await sendWebhook(
            sf.system.baseUrl,
            body,
            variant === 'other-secret' ? { secret: variant } : { signature: variant },
          );
    expect(res.status).toBe(401);
    const stored = await sf.system.db
      .selectFrom('inbound_events')
      .select('id')
      .where('source', '=', 'razorpay')
      .where('external_order_id', '=', 'order_x')
      .execute();
    expect(stored).toEqual([]);
  });
});

describe('when one customer checks out more often than the limit allows', () => {
  it('answers 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const res = await checkout(sf.system, 'busy-customer', checkoutBody([{ sku: 'TEA-1', quantity: 1 }]));
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another customer from the same address is not held back.
    expect(
      (await checkout(sf.system, 'calm-customer', checkoutBody([{ sku: 'TEA-1', quantity: 1 }]))).status,
    ).toBe(202);
  });
});
