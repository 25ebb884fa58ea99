import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestSystem, TEST_ADMIN_TOKEN, type TestSystem, waitFor } from '../support/system.js';

const order = {
  externalOrderId: 'web-1001',
  currency: 'TRY',
  customer: { externalId: 'cust-1', name: 'Şule Öztürk', phone: '+905551112233' },
  items: [
    { sku: 'SKU-1', name: 'Çay 1 kg', quantity: 2, unitPrice: 12_550 },
    { sku: 'SKU-2', name: 'Su 5 L', quantity: 1, unitPrice: 4_000 },
  ],
  shippingTotal: 1_000,
};

describe('when an order is posted twice to /api/orders with the same Idempotency-Key', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('yields one order, visible with its timeline at /admin/orders/:id', async () => {
    const headers = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'idempotency-key': 'order-web-1001' };
    const first = await postJson(`${system.baseUrl}/api/orders`, order, headers);
    expect(first.status).toBe(202);
    const { eventId } = (await first.json()) as { eventId: string };
    const second = await postJson(`${system.baseUrl}/api/orders`, order, headers);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ eventId, duplicate: true });

    const list = await waitFor(async () => {
      const res = await system.admin('/admin/orders?channel=manual');
      const body = (await res.json()) as { total: number; data: { id: string }[] };
      return body.total > 0 ? body : undefined;
    });
    expect(list.total).toBe(1);
    const id = list.data[0]?.id;
    const detail = await waitFor(async () => {
      const d = (await (await system.admin(`/admin/orders/${id}`)).json()) as { timeline: unknown[] };
      return d.timeline.length >= 2 ? (d as Record<string, unknown>) : undefined;
    });
    expect(detail).toMatchObject({
      channel: 'manual',
      externalOrderId: 'web-1001',
      status: 'pending',
      paymentStatus: 'pending',
      currency: 'TRY',
      subtotal: 29_100,
      shippingTotal: 1_000,
      total: 30_100,
      customer: { name: 'Şule Öztürk' },
    });
    expect(detail.orderNumber).toMatch(/^ORD-\d{8}-\d{5}$/);
    expect(detail.timeline).toEqual([
      expect.objectContaining({ type: 'created', toStatus: 'pending', actor: 'channel:manual' }),
      // The order is handed to SUBSCRIBER_EVENTS through the outbox.
      expect.objectContaining({
        type: 'provider_call',
        metadata: expect.objectContaining({ topic: 'subscribers.order.created', outcome: 'succeeded' }),
      }),
    ]);
    const events = await system.db.selectFrom('inbound_events').selectAll().execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: 'processed', attempts: 1 });
  });
});
