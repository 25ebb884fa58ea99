import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFingerprint } from '../../../src/gateway/auth.js';
import { expireUnpaidOrders } from '../../../src/integrations/storefront/expiry.js';
import { refundPayment } from '../../../src/integrations/storefront/lifecycle.js';
import { createOrder } from '../../../src/orders/create.js';
import { getOrderForUpdate } from '../../../src/orders/locks.js';
import { refundEvent, sendWebhook } from '../../support/fake-razorpay.js';
import { waitFor } from '../../support/system.js';
import {
  adminOrder,
  customerGet,
  customerToken,
  expectOk,
  json,
  payOrder,
  placeOrder,
  type Storefront,
  startStorefront,
  stock,
  stockOf,
} from './helpers.js';

const VIEWER = 'storefront-viewer-token-0123456789abcdef';
const OPERATOR = 'storefront-operator-token-0123456789abcd';

let sf: Storefront;
beforeAll(async () => {
  sf = await startStorefront({
    ADMIN_TOKENS: `${VIEWER}:viewer,${OPERATOR}:operator`,
    // Shipping is always free here, so a code that takes everything off leaves nothing to pay.
    STOREFRONT_FREE_SHIPPING_FROM: '0',
  });
  await stock(sf.system, [{ sku: 'BOOK-1', price: 40_000, gstRate: 5, onHand: 100 }]);
});
afterAll(async () => {
  await sf?.stop();
});

const admin = (path: string, method: string, body?: unknown) =>
  sf.system.admin(path, body === undefined ? { method } : json(method, body));

/** The admin API with one of the role tokens. */
const asRole = (token: string, path: string, method: string, body?: unknown) =>
  fetch(`${sf.system.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const customerPost = async (sub: string, path: string, body: unknown) =>
  fetch(`${sf.system.baseUrl}${path}`, {
    ...json('POST', body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await customerToken(sub)}` },
  });

async function paidOrder(customer: string, paymentId: string): Promise<string> {
  const placed = await placeOrder(sf.system, customer, [{ sku: 'BOOK-1', quantity: 1 }]);
  await payOrder(sf, placed.orderId, paymentId);
  return placed.orderId;
}

const onHand = async () => (await stockOf(sf.system, 'BOOK-1')).on_hand;

describe('when an operator takes a paid order through fulfilment', () => {
  it('moves it processing → shipped (tracking kept) → delivered, after which it cannot be cancelled', async () => {
    const id = await paidOrder('reader-1', 'pay_FUL000000001');
    expect((await admin(`/admin/orders/${id}/status`, 'PATCH', { status: 'confirmed' })).status).toBe(409);
    expect(
      (await admin(`/admin/orders/${id}/shipments`, 'POST', { carrier: 'BlueDart', trackingNumber: 'BD1' }))
        .status,
    ).toBe(409);
    await expectOk(admin(`/admin/orders/${id}/status`, 'PATCH', { status: 'processing', note: 'packing' }));
    await expectOk(
      admin(`/admin/orders/${id}/shipments`, 'POST', { carrier: 'BlueDart', trackingNumber: 'BD123456' }),
    );
    const delivered = (await expectOk(admin(`/admin/orders/${id}/delivery`, 'POST'))) as { status: string };
    expect(delivered.status).toBe('delivered');
    const cancel = await admin(`/admin/orders/${id}/cancel`, 'POST', { reason: 'too late' });
    expect(cancel.status).toBe(409);
    const view = (await (
      await customerGet(sf.system, 'reader-1', `/storefront/orders/${id}`)
    ).json()) as Record<string, unknown>;
    expect(view).toMatchObject({
      status: 'delivered',
      shipment: { carrier: 'BlueDart', trackingNumber: 'BD123456' },
    });
  });
});

describe('when an operator marks an order shipped through the status route', () => {
  it('needs its carrier and tracking number, and keeps them as the shipment', async () => {
    const id = await paidOrder('reader-7', 'pay_SHP000000001');
    await expectOk(admin(`/admin/orders/${id}/status`, 'PATCH', { status: 'processing' }));
    const bare = await admin(`/admin/orders/${id}/status`, 'PATCH', {
      status: 'shipped',
      note: 'Order shipped via BlueDart',
    });
    expect(bare.status).toBe(400);
    const stray = await admin(`/admin/orders/${id}/status`, 'PATCH', {
      status: 'delivered',
      carrier: 'BlueDart',
      trackingNumber: 'BD777',
    });
    expect(stray.status).toBe(400);
    expect((await adminOrder(sf.system, id)).status).toBe('processing');

    await expectOk(
      admin(`/admin/orders/${id}/status`, 'PATCH', {
        status: 'shipped',
        note: 'Order shipped via BlueDart',
        carrier: 'BlueDart',
        trackingNumber: 'BD777',
      }),
    );
    const view = (await (await customerGet(sf.system, 'reader-7', `/storefront/orders/${id}`)).json()) as {
      status: string;
      shipment: unknown;
    };
    expect(view).toMatchObject({
      status: 'shipped',
      shipment: { carrier: 'BlueDart', trackingNumber: 'BD777' },
    });
    const shipped = (await expectOk(
      sf.system.admin('/admin/orders?channel=storefront&shippingStatus=shipped'),
    )) as { data: { id: string }[] };
    expect(shipped.data.map((o) => o.id)).toContain(id);
  });
});

describe('when a discount code leaves nothing to pay', () => {
  it('confirms the order at checkout, commits its stock and asks Razorpay for nothing', async () => {
    await expectOk(admin('/admin/discounts/ALLFREE', 'PUT', { kind: 'percent', value: 100, active: true }));
    const placed = await placeOrder(sf.system, 'lucky-1', [{ sku: 'BOOK-1', quantity: 1 }], {
      discountCode: 'ALLFREE',
    });
    expect(placed.status).toBe('created');
    const order = await adminOrder(sf.system, placed.orderId);
    expect(order).toMatchObject({ total: 0, status: 'confirmed', paymentStatus: 'paid' });
    expect(order.timeline.filter((e) => e.type === 'stock_committed')).toHaveLength(1);
    const reservations = await sf.system.db
      .selectFrom('stock_reservations')
      .select('status')
      .where('order_id', '=', placed.orderId)
      .execute();
    expect(reservations).toEqual([{ status: 'committed' }]);
    const razorpayCalls = await sf.system.db
      .selectFrom('outbox')
      .select('topic')
      .where('order_id', '=', placed.orderId)
      .where('topic', 'like', 'razorpay.%')
      .execute();
    expect(razorpayCalls).toEqual([]);
    // The payment window does not apply: there is no payment to wait for.
    await expireUnpaidOrders(sf.system.db, new Date(Date.now() + 1000));
    expect((await adminOrder(sf.system, placed.orderId)).status).toBe('confirmed');
  });
});

describe('when the customer cancels a paid order', () => {
  it('restores the stock, refunds the payment through Razorpay and settles it on refund.processed', async () => {
    const before = await onHand();
    const id = await paidOrder('reader-2', 'pay_CAN000000001');
    expect(await onHand()).toBe(before - 1);
    const token = await customerToken('reader-2');
    const res = await fetch(`${sf.system.baseUrl}/storefront/orders/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'refunded', paymentStatus: 'refunded' });
    expect(await onHand()).toBe(before);
    const call = await waitFor(() =>
      sf.razorpay.refunds.calls.find((c) => c.params.paymentId === 'pay_CAN000000001'),
    );
    const order = await adminOrder(sf.system, id);
    expect(call.body).toMatchObject({ amount: order.total });
    const refund = await waitFor(async () =>
      sf.system.db
        .selectFrom('storefront_refunds')
        .selectAll()
        .where('order_id', '=', id)
        .where('razorpay_refund_id', 'is not', null)
        .executeTakeFirst(),
    );
    expect(refund.status).toBe('pending');
    await sendWebhook(
      sf.system.baseUrl,
      refundEvent({
        id: refund.razorpay_refund_id ?? '',
        paymentId: 'pay_CAN000000001',
        amount: order.total,
      }),
    );
    await waitFor(async () => {
      const row = await sf.system.db
        .selectFrom('storefront_refunds')
        .select('status')
        .where('id', '=', refund.id)
        .executeTakeFirst();
      return row?.status === 'processed';
    });
    expect(order.timeline.map((e) => e.toStatus).filter(Boolean)).toEqual([
      'pending',
      'confirmed',
      'cancelled',
      'refunded',
    ]);
  });

  it('refuses once the order is being processed', async () => {
    const id = await paidOrder('reader-3', 'pay_CAN000000002');
    await expectOk(admin(`/admin/orders/${id}/status`, 'PATCH', { status: 'processing' }));
    const res = await fetch(`${sf.system.baseUrl}/storefront/orders/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await customerToken('reader-3')}` },
    });
    expect(res.status).toBe(409);
  });
});

describe('when staff act on a storefront order with role tokens', () => {
  it('lets a viewer read but not act, and an operator act but not configure', async () => {
    const id = await paidOrder('reader-8', 'pay_ROLE00000001');
    expect((await asRole(VIEWER, `/admin/orders/${id}`, 'GET')).status).toBe(200);
    for (const [method, path, body] of [
      ['PATCH', `/admin/orders/${id}/status`, { status: 'processing' }],
      ['POST', `/admin/orders/${id}/shipments`, { carrier: 'BlueDart', trackingNumber: 'BD1' }],
      ['POST', `/admin/orders/${id}/delivery`, {}],
      ['POST', `/admin/orders/${id}/notes`, { note: 'hello', isPublic: true }],
      ['POST', `/admin/orders/${id}/cancel`, { reason: 'viewer tries' }],
      ['POST', `/admin/orders/${id}/refund`, { amount: 100, reason: 'viewer tries' }],
    ] as const) {
      expect((await asRole(VIEWER, path, method, body)).status, `${method} ${path}`).toBe(403);
    }
    const catalog = { name: 'Pen', price: 100, gstRate: 18 };
    expect((await asRole(OPERATOR, '/admin/catalog/PEN-1', 'PUT', catalog)).status).toBe(403);
    const discount = { kind: 'fixed', value: 100, active: true };
    expect((await asRole(OPERATOR, '/admin/discounts/STAFF', 'PUT', discount)).status).toBe(403);
    const unchanged = await adminOrder(sf.system, id);
    expect(unchanged).toMatchObject({ status: 'confirmed', refundedTotal: 0 });
    expect(unchanged.timeline.some((e) => e.type === 'note_added')).toBe(false);
  });

  it('has an operator cancel a processing order: stock back on hand, money back, the role on the timeline', async () => {
    const before = await onHand();
    const id = await paidOrder('reader-9', 'pay_OPC000000001');
    const processing = await asRole(OPERATOR, `/admin/orders/${id}/status`, 'PATCH', {
      status: 'processing',
    });
    expect(processing.status).toBe(200);
    expect(await onHand()).toBe(before - 1);
    const res = await asRole(OPERATOR, `/admin/orders/${id}/cancel`, 'POST', {
      reason: 'address unreachable',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'refunded', paymentStatus: 'refunded' });
    expect(await onHand()).toBe(before);
    const order = await adminOrder(sf.system, id);
    const call = await waitFor(() =>
      sf.razorpay.refunds.calls.find((c) => c.params.paymentId === 'pay_OPC000000001'),
    );
    expect(call.body).toMatchObject({ amount: order.total });
    const operator = `admin:operator:${tokenFingerprint(OPERATOR)}`;
    expect(order.timeline.filter((e) => e.toStatus === 'cancelled').map((e) => e.actor)).toEqual([operator]);
    expect(order.timeline.filter((e) => e.toStatus === 'processing').map((e) => e.actor)).toEqual([operator]);
  });
});

describe('when an operator refunds part, too much, then the rest', () => {
  it('keeps the sum within what was paid and moves a full refund to refunded', async () => {
    const id = await paidOrder('reader-4', 'pay_REF000000001');
    const { total } = await adminOrder(sf.system, id);
    const partial = (await expectOk(
      admin(`/admin/orders/${id}/refund`, 'POST', {
        amount: 1000,
        reason: 'damaged cover',
        initiatePaymentRefund: true,
      }),
    )) as { paymentStatus: string; refundedTotal: number };
    expect(partial).toMatchObject({ paymentStatus: 'partially_refunded', refundedTotal: 1000 });
    await waitFor(() => sf.razorpay.refunds.calls.find((c) => c.params.paymentId === 'pay_REF000000001'));
    const tooMuch = await admin(`/admin/orders/${id}/refund`, 'POST', {
      amount: total,
      reason: 'everything',
    });
    expect(tooMuch.status).toBe(409);
    expect(await tooMuch.json()).toMatchObject({ error: { code: 'rule_refund_exceeds_payment' } });
    const rest = (await expectOk(
      admin(`/admin/orders/${id}/refund`, 'POST', {
        amount: total - 1000,
        reason: 'returned',
        initiatePaymentRefund: false,
      }),
    )) as { status: string; paymentStatus: string };
    expect(rest).toMatchObject({ status: 'refunded', paymentStatus: 'refunded' });
  });
});

describe('when a customer reads orders', () => {
  it('sees only their own, 404 for another customer’s and 401 without a token', async () => {
    const id = await paidOrder('reader-5', 'pay_VIEW00000001');
    await expectOk(
      admin(`/admin/orders/${id}/notes`, 'POST', { note: 'gift wrap requested', isPublic: false }),
    );
    await expectOk(
      admin(`/admin/orders/${id}/notes`, 'POST', { note: 'Your parcel leaves tomorrow', isPublic: true }),
    );
    for (const path of [
      `/storefront/orders/${id}`,
      `/storefront/orders/${id}/timeline`,
      `/storefront/checkouts/${id}`,
    ]) {
      expect((await customerGet(sf.system, 'someone-else', path)).status).toBe(404);
      expect((await fetch(`${sf.system.baseUrl}${path}`)).status).toBe(401);
    }
    // Acting on it is answered the same way, and changes nothing.
    expect((await customerPost('someone-else', `/storefront/orders/${id}/cancel`, {})).status).toBe(404);
    const refund = { amount: 500, reason: 'not mine' };
    expect((await customerPost('someone-else', `/storefront/orders/${id}/refund`, refund)).status).toBe(404);
    expect((await adminOrder(sf.system, id)).status).toBe('confirmed');
    const timeline = (await (
      await customerGet(sf.system, 'reader-5', `/storefront/orders/${id}/timeline`)
    ).json()) as {
      data: { type: string; message: string }[];
    };
    const text = JSON.stringify(timeline);
    expect(text).toContain('Your parcel leaves tomorrow');
    expect(text).not.toContain('gift wrap');
    expect(text).not.toContain('stock');
    expect(timeline.data.map((e) => e.type)).toEqual(['created', 'status', 'note']);

    const list = (await (
      await customerGet(sf.system, 'reader-5', '/storefront/orders?status=confirmed&limit=1')
    ).json()) as {
      data: { id: string }[];
      total: number;
    };
    expect(list).toMatchObject({ total: 1, data: [{ id }] });
    const none = (await (
      await customerGet(sf.system, 'reader-5', '/storefront/orders?status=shipped')
    ).json()) as {
      total: number;
    };
    expect(none.total).toBe(0);
  });

  it('pages their orders newest first', async () => {
    const ids = [];
    for (const payment of ['pay_PAGE00000001', 'pay_PAGE00000002', 'pay_PAGE00000003']) {
      ids.push(await paidOrder('pager-1', payment));
    }
    const page = async (query: string) =>
      (await (await customerGet(sf.system, 'pager-1', `/storefront/orders?${query}`)).json()) as {
        data: { id: string }[];
        page: number;
        total: number;
      };
    const first = await page('limit=2&page=1');
    const second = await page('limit=2&page=2');
    expect(first).toMatchObject({ page: 1, total: 3 });
    expect(second).toMatchObject({ page: 2, total: 3 });
    expect([...first.data, ...second.data].map((o) => o.id)).toEqual([...ids].reverse());
  });

  it('records a refund request without moving money', async () => {
    const id = await paidOrder('reader-6', 'pay_REQ000000001');
    const res = await fetch(`${sf.system.baseUrl}/storefront/orders/${id}/refund`, {
      ...json('POST', { amount: 500, reason: 'Damaged product' }),
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await customerToken('reader-6')}`,
      },
    });
    expect(res.status).toBe(202);
    const order = await adminOrder(sf.system, id);
    expect(order).toMatchObject({ refundedTotal: 0, paymentStatus: 'paid' });
    expect(order.timeline.filter((e) => e.type === 'refund_requested')).toHaveLength(1);
    // More than was paid is refused, and so is a request on an order nothing was paid for.
    const tooMuch = await customerPost('reader-6', `/storefront/orders/${id}/refund`, {
      amount: order.total + 1,
      reason: 'everything and more',
    });
    expect(tooMuch.status).toBe(409);
    expect(await tooMuch.json()).toMatchObject({ error: { code: 'rule_refund_exceeds_payment' } });
    const unpaid = await placeOrder(sf.system, 'reader-6', [{ sku: 'BOOK-1', quantity: 1 }]);
    const early = await customerPost('reader-6', `/storefront/orders/${unpaid.orderId}/refund`, {
      amount: 100,
      reason: 'not paid yet',
    });
    expect(early.status).toBe(409);
    await expectOk(admin(`/admin/orders/${unpaid.orderId}/cancel`, 'POST', { reason: 'test over' }));
    const requests = await sf.system.db
      .selectFrom('storefront_refunds')
      .select('order_id')
      .where('order_id', 'in', [id, unpaid.orderId])
      .execute();
    expect(requests).toEqual([{ order_id: id }]);
  });
});

describe('when an operator searches orders', () => {
  it('filters by partial order number, customer name or email, payment status and shipping status', async () => {
    const id = await paidOrder('finder-1', 'pay_FIND00000001');
    const { orderNumber } = await adminOrder(sf.system, id);
    await expectOk(admin(`/admin/orders/${id}/status`, 'PATCH', { status: 'processing' }));
    await expectOk(
      admin(`/admin/orders/${id}/shipments`, 'POST', { carrier: 'Delhivery', trackingNumber: 'DL1' }),
    );
    const search = async (query: string) =>
      (
        (await expectOk(sf.system.admin(`/admin/orders?channel=storefront&${query}`))) as {
          data: { id: string }[];
        }
      ).data.map((o) => o.id);
    expect(await search(`q=${orderNumber.slice(-7)}`)).toContain(id);
    expect(await search('q=asha%20rao')).toContain(id);
    expect(await search('q=asha@example.in')).toContain(id);
    expect(await search('q=nobody-by-this-name')).toEqual([]);
    expect(await search('shippingStatus=shipped&paymentStatus=paid')).toContain(id);
    expect(await search('shippingStatus=shipped&paymentStatus=refunded')).not.toContain(id);
    expect(await search('shippingStatus=delivered')).not.toContain(id);
    expect(await search('shippingStatus=unshipped')).not.toContain(id);
    expect((await sf.system.admin('/admin/orders?shippingStatus=lost')).status).toBe(400);
  });
});

describe('for any sequence of refunds of a paid order (property)', () => {
  it('never refunds more than was paid, and is refunded exactly when all of it was', async () => {
    const db = sf.system.db;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12_000 }), { minLength: 1, maxLength: 6 }),
        async (amounts) => {
          const { order } = await createOrder(db, {
            input: {
              channel: 'storefront',
              externalOrderId: `prop-${++n}-${Date.now()}`,
              status: 'confirmed',
              paymentStatus: 'paid',
              currency: 'INR',
              items: [{ sku: 'X', name: 'X', quantity: 1, unitPrice: 10_000 }],
              totals: { subtotal: 10_000, tax: 500, total: 10_500 },
              actor: 'test',
            },
          });
          let accepted = 0;
          for (const amount of amounts) {
            try {
              await db.transaction().execute(async (trx) =>
                refundPayment(trx, await getOrderForUpdate(trx, order.id), {
                  actor: 'test',
                  amount,
                  reason: 'property',
                  initiatePaymentRefund: false,
                }),
              );
              accepted += amount;
            } catch {
              // Refused: over the refundable remainder.
              expect(accepted + amount).toBeGreaterThan(10_500);
            }
          }
          const after = await getOrderForUpdate(db, order.id);
          expect(after.refunded_total).toBe(accepted);
          expect(after.refunded_total).toBeLessThanOrEqual(after.total);
          expect(after.status === 'refunded').toBe(after.refunded_total === after.total);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('when an order is still unpaid after the payment window', () => {
  it('is cancelled and its reserved stock released; a paid order is left alone', async () => {
    const unpaid = await placeOrder(sf.system, 'slow-payer', [{ sku: 'BOOK-1', quantity: 2 }]);
    const paid = await paidOrder('fast-payer', 'pay_EXP000000001');
    const reserved = async () =>
      (
        await sf.system.db
          .selectFrom('stock_levels')
          .select('reserved')
          .where('sku', '=', 'BOOK-1')
          .executeTakeFirstOrThrow()
      ).reserved;
    const before = await reserved();
    expect(await expireUnpaidOrders(sf.system.db, new Date(Date.now() + 1000))).toBe(1);
    expect(await reserved()).toBe(before - 2);
    expect((await adminOrder(sf.system, unpaid.orderId)).status).toBe('cancelled');
    expect((await adminOrder(sf.system, paid)).status).toBe('confirmed');
    expect(await expireUnpaidOrders(sf.system.db, new Date(Date.now() + 1000))).toBe(0);
  });
});
