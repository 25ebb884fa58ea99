import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServedDocument, type ServedDocument } from '../../support/openapi.js';
import { waitFor } from '../../support/system.js';
import {
  checkout,
  checkoutBody,
  customerGet,
  customerToken,
  json,
  payOrder,
  placeOrder,
  type Storefront,
  startStorefront,
  stock,
} from './helpers.js';

let sf: Storefront;
let served: ServedDocument;
beforeAll(async () => {
  sf = await startStorefront();
  served = await readServedDocument(sf.system.baseUrl);
});
afterAll(async () => {
  await sf?.stop();
});

const admin = (path: string, method: string, body?: unknown) =>
  sf.system.admin(path, body === undefined ? { method } : json(method, body));
const customerPost = async (sub: string, path: string, body: unknown) =>
  fetch(`${sf.system.baseUrl}${path}`, {
    ...json('POST', body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await customerToken(sub)}` },
  });

/** A paid order of one unit of a new stocked SKU. */
async function paidOrder(customer: string, sku: string, paymentId: string): Promise<string> {
  await stock(sf.system, [{ sku, price: 30_000, gstRate: 5, onHand: 50 }]);
  const placed = await placeOrder(sf.system, customer, [{ sku, quantity: 1 }]);
  await payOrder(sf, placed.orderId, paymentId);
  return placed.orderId;
}

describe("the storefront's answers in the OpenAPI document", () => {
  it('gives every storefront answer a schema of its own fields', () => {
    const storefront = [
      ['post', '/storefront/checkout', [202, 200]],
      ['get', '/storefront/checkouts/{orderId}', [200]],
      ['get', '/storefront/orders', [200]],
      ['get', '/storefront/orders/{id}', [200]],
      ['get', '/storefront/orders/{id}/timeline', [200]],
      ['post', '/storefront/orders/{id}/cancel', [200]],
      ['post', '/storefront/orders/{id}/refund', [202]],
      ['put', '/admin/catalog/{sku}', [200]],
      ['put', '/admin/discounts/{code}', [200]],
      ['post', '/admin/orders/{id}/shipments', [200]],
      ['post', '/admin/orders/{id}/delivery', [200]],
      ['patch', '/admin/orders/{id}/status', [200]],
      ['post', '/admin/orders/{id}/notes', [201]],
      ['post', '/admin/orders/{id}/{action}', [200]],
    ] as const;
    expect(served.undescribed(storefront)).toEqual([]);
  });

  it('documents the catalog and discount answers as the gateway sends them', async () => {
    await served.expectDocumented(
      'put',
      '/admin/catalog/{sku}',
      await admin('/admin/catalog/DOC-1', 'PUT', { name: 'Documented', price: 10_000, gstRate: 12.5 }),
      200,
    );
    const discount = await served.expectDocumented(
      'put',
      '/admin/discounts/{code}',
      await admin('/admin/discounts/doc10', 'PUT', { kind: 'percent', value: 10, active: true }),
      200,
    );
    expect(discount).toMatchObject({ code: 'DOC10', minSubtotal: null });
  });

  it('documents checkout (202, then 200 for the same key) and every outcome of its status URL', async () => {
    await stock(sf.system, [{ sku: 'DOC-2', price: 20_000, gstRate: 18, onHand: 50 }]);
    const body = checkoutBody([{ sku: 'DOC-2', quantity: 1 }], { discountCode: 'DOC10' });
    const first = await served.expectDocumented(
      'post',
      '/storefront/checkout',
      await checkout(sf.system, 'doc-buyer', body, 'openapi-key-1'),
      202,
    );
    const again = await served.expectDocumented(
      'post',
      '/storefront/checkout',
      await checkout(sf.system, 'doc-buyer', body, 'openapi-key-1'),
      200,
    );
    expect(again).toMatchObject({ orderId: first.orderId, duplicate: true });
    const statusUrl = String(first.statusUrl);
    const outcome = async (sub: string, url: string) =>
      served.expectDocumented(
        'get',
        '/storefront/checkouts/{orderId}',
        await customerGet(sf.system, sub, url),
        200,
      );
    await outcome('doc-buyer', statusUrl);
    const created = await waitFor(async () => {
      const answer = await outcome('doc-buyer', statusUrl);
      return answer.status === 'processing' ? undefined : answer;
    });
    expect(created).toMatchObject({ status: 'created', orderUrl: `/storefront/orders/${first.orderId}` });
    const failed = await placeOrder(sf.system, 'doc-buyer', [{ sku: 'DOC-2', quantity: 1 }], {
      discountCode: 'NOSUCHCODE',
    });
    expect(failed.status).toBe('failed');
    const answer = await outcome('doc-buyer', `/storefront/checkouts/${failed.orderId}`);
    expect(answer).toMatchObject({ status: 'failed', reason: expect.any(String) });
  });

  it("documents the customer's list, order, timeline, refund request, the operator's refund and cancel", async () => {
    const id = await paidOrder('doc-reader', 'DOC-3', 'pay_DOC000000001');
    await served.expectDocumented(
      'post',
      '/admin/orders/{id}/notes',
      await admin(`/admin/orders/${id}/notes`, 'POST', { note: 'Packed with care', isPublic: true }),
      201,
    );
    const list = await served.expectDocumented(
      'get',
      '/storefront/orders',
      await customerGet(sf.system, 'doc-reader', '/storefront/orders?limit=5'),
      200,
    );
    expect(list).toMatchObject({ total: 1, data: [{ id }] });
    const order = await served.expectDocumented(
      'get',
      '/storefront/orders/{id}',
      await customerGet(sf.system, 'doc-reader', `/storefront/orders/${id}`),
      200,
    );
    expect(order).toMatchObject({ shippingAddress: { city: 'Bengaluru' }, shipment: null });
    const timeline = await served.expectDocumented(
      'get',
      '/storefront/orders/{id}/timeline',
      await customerGet(sf.system, 'doc-reader', `/storefront/orders/${id}/timeline`),
      200,
    );
    expect((timeline.data as { type: string }[]).map((e) => e.type)).toEqual(['created', 'status', 'note']);
    const refund = { amount: 500, reason: 'Damaged box' };
    await served.expectDocumented(
      'post',
      '/storefront/orders/{id}/refund',
      await customerPost('doc-reader', `/storefront/orders/${id}/refund`, refund),
      202,
    );
    const refunded = await served.expectDocumented(
      'post',
      '/admin/orders/{id}/{action}',
      await admin(`/admin/orders/${id}/refund`, 'POST', { amount: 500, reason: 'Damaged box' }),
      200,
    );
    expect(refunded).toMatchObject({ refundedTotal: 500 });
    const cancelled = await served.expectDocumented(
      'post',
      '/storefront/orders/{id}/cancel',
      await customerPost('doc-reader', `/storefront/orders/${id}/cancel`, { reason: 'Changed my mind' }),
      200,
    );
    expect(cancelled).toMatchObject({ id });
    expect(cancelled.status).not.toBe('confirmed');
  });

  it("documents an operator's status change, shipment and delivery as the order's detail", async () => {
    const id = await paidOrder('doc-shipper', 'DOC-4', 'pay_DOC000000002');
    await served.expectDocumented(
      'patch',
      '/admin/orders/{id}/status',
      await admin(`/admin/orders/${id}/status`, 'PATCH', { status: 'processing' }),
      200,
    );
    await served.expectDocumented(
      'post',
      '/admin/orders/{id}/shipments',
      await admin(`/admin/orders/${id}/shipments`, 'POST', {
        carrier: 'BlueDart',
        trackingNumber: 'BD-DOC-1',
      }),
      200,
    );
    const delivered = await served.expectDocumented(
      'post',
      '/admin/orders/{id}/delivery',
      await admin(`/admin/orders/${id}/delivery`, 'POST'),
      200,
    );
    expect(delivered).toMatchObject({ status: 'delivered' });
    const view = await served.expectDocumented(
      'get',
      '/storefront/orders/{id}',
      await customerGet(sf.system, 'doc-shipper', `/storefront/orders/${id}`),
      200,
    );
    expect(view).toMatchObject({ shipment: { carrier: 'BlueDart', deliveredAt: expect.any(String) } });
  });
});
