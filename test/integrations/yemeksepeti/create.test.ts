import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundJobId } from '../../../src/outbox/jobs.js';
import { FakeProvider } from '../../support/fake-provider.js';
import { waitFor } from '../../support/system.js';
import { CHAIN_ID, MARKET_STORE, SU_STORE, withStatus, ysOrder } from './fixtures.js';
import {
  deliver,
  detail,
  orderIdFor,
  putJson,
  setStock,
  startYs,
  waitForTimeline,
  type YsHarness,
} from './helpers.js';

let h: YsHarness;
beforeAll(async () => {
  h = await startYs();
});
afterAll(async () => {
  await h?.stop();
});

const stockOf = async (code: string, sku: string) =>
  h.system.db
    .selectFrom('stock_levels')
    .select(['on_hand', 'reserved'])
    .where('warehouse_code', '=', code)
    .where('sku', '=', sku)
    .executeTakeFirstOrThrow();

describe('when a RECEIVED order for a mapped Market store is fully in stock', () => {
  let body: Record<string, unknown>;
  let id: string;
  beforeAll(async () => {
    body = ysOrder();
    const event = await deliver(h.system, body);
    expect(event.status).toBe('processed');
    id = await orderIdFor(h.system, String(body.order_id));
  });

  it('creates one confirmed, paid yemeksepeti order in the mapped warehouse with both order numbers kept', async () => {
    const d = await detail(h.system, id);
    expect(d).toMatchObject({
      channel: 'yemeksepeti',
      externalOrderId: body.order_id,
      status: 'confirmed',
      channelStatus: 'RECEIVED',
      paymentStatus: 'paid',
      currency: 'TRY',
      warehouseCode: 'IST-KDK',
      subtotal: 30_843,
      shippingTotal: 1_499,
      total: 32_342,
      externalRefs: {
        packageId: body.order_id,
        integrationOrderNumber: body.external_order_id,
        orderCode: '4821',
        chainId: CHAIN_ID,
        storeId: MARKET_STORE,
      },
      attributes: {
        yemeksepeti: { category: 'market', bisuStatus: 'ORDER_CREATED', locationCheck: 'disabled' },
      },
      customer: { externalId: 'ys-cust-00042', name: 'Çağrı Güneşoğlu', phone: '+905321112233' },
    });
  });

  it('keeps KG items in grams with the per-kg price and the exact line total', async () => {
    const d = await detail(h.system, id);
    expect(d.items).toEqual([
      expect.objectContaining({
        sku: 'SU-19L',
        quantity: 2,
        pricingType: 'unit',
        unitPrice: 4_550,
        totalPrice: 9_100,
        status: 'IN_CART',
      }),
      expect.objectContaining({
        sku: 'PEYNIR-KG',
        name: 'Ezine Beyaz Peynir (kg)',
        quantity: 750,
        weightGrams: 750,
        pricingType: 'kg',
        unitPrice: 28_990,
        totalPrice: 21_743,
        status: 'IN_CART',
      }),
    ]);
  });

  it('reserves the stock in that warehouse (grams for KG SKUs)', async () => {
    expect(await stockOf('IST-KDK', 'SU-19L')).toMatchObject({ reserved: 2 });
    expect(await stockOf('IST-KDK', 'PEYNIR-KG')).toMatchObject({ reserved: 750 });
  });

  it('stores the body with Turkish characters and unknown fields intact', async () => {
    const event = await h.system.db
      .selectFrom('inbound_events')
      .select('payload')
      .where('external_order_id', '=', String(body.order_id))
      .executeTakeFirstOrThrow();
    expect(event.payload).toEqual(body);
  });

  it('publishes the order on SUBSCRIBER_EVENTS once, through the outbox', async () => {
    const job = await waitFor(() =>
      h.system.process.services.queues.subscriberEvents.getJob(`order-created-${id}`),
    );
    const published = await h.system.db
      .selectFrom('outbox')
      .select('topic')
      .where('order_id', '=', id)
      .where('topic', '=', 'subscribers.order.created')
      .execute();
    expect(published).toHaveLength(1);
    expect(job.data).toMatchObject({
      type: 'order.created',
      orderId: id,
      channel: 'yemeksepeti',
      status: 'confirmed',
    });
  });

  it('hands it to the delivery domain; without DELIVERY_WEBHOOK_URL the timeline says it was not sent', async () => {
    const rows = await h.system.db.selectFrom('outbox').selectAll().where('order_id', '=', id).execute();
    expect(rows.map((r) => r.topic).sort()).toEqual(['delivery.requested', 'subscribers.order.created']);
    const d = await waitForTimeline(h.system, id, (e) => e.message.startsWith('delivery.requested'));
    const entry = d.timeline.find((e) => e.message.startsWith('delivery.requested'));
    expect(entry?.message).toContain('not sent');
    expect(entry?.message).toContain('DELIVERY_WEBHOOK_URL is not configured');
    expect(entry?.metadata).toMatchObject({ outcome: 'not_sent' });
    // Nothing to send: the relay settled the row itself, without an outbound job.
    const row = rows.find((r) => r.topic === 'delivery.requested');
    if (!row) throw new Error('no delivery.requested row');
    const settled = await h.system.db
      .selectFrom('outbox')
      .select(['status', 'enqueued_at'])
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(settled).toMatchObject({ status: 'delivered', enqueued_at: null });
    expect(await h.system.process.services.queues.outbound.getJob(outboundJobId(row.id))).toBeUndefined();
  });

  describe('when the same order comes again as UNASSIGNED and as a duplicate body', () => {
    it('stays one order with one reservation and one delivery request', async () => {
      await deliver(h.system, withStatus(body, 'UNASSIGNED'));
      await deliver(h.system, body);
      const orders = await h.system.db
        .selectFrom('orders')
        .select('id')
        .where('external_order_id', '=', String(body.order_id))
        .execute();
      expect(orders).toHaveLength(1);
      expect(await stockOf('IST-KDK', 'SU-19L')).toMatchObject({ reserved: 2 });
      const rows = await h.system.db
        .selectFrom('outbox')
        .select('topic')
        .where('order_id', '=', id)
        .execute();
      expect(rows.filter((r) => r.topic === 'delivery.requested')).toHaveLength(1);
    });
  });
});

describe('customer upsert', () => {
  describe('when two orders carry the same Yemeksepeti customer id', () => {
    it('they share one customer', async () => {
      const a = ysOrder();
      const b = ysOrder();
      await deliver(h.system, a);
      await deliver(h.system, b);
      const rows = await h.system.db
        .selectFrom('orders')
        .select('customer_id')
        .where('external_order_id', 'in', [String(a.order_id), String(b.order_id)])
        .execute();
      expect(rows).toHaveLength(2);
      expect(rows[0]?.customer_id).toBeTruthy();
      expect(rows[0]?.customer_id).toBe(rows[1]?.customer_id);
    });
  });

  describe('when the customer has no id', () => {
    it('is found by phone', async () => {
      const customer = {
        _id: null,
        first_name: 'Ayşe',
        last_name: 'Yıldız',
        phone_number: '+905551230000',
        delivery_address: null,
      };
      const a = ysOrder({ customer });
      const b = ysOrder({ customer });
      await deliver(h.system, a);
      await deliver(h.system, b);
      const rows = await h.system.db
        .selectFrom('orders')
        .select('customer_id')
        .where('external_order_id', 'in', [String(a.order_id), String(b.order_id)])
        .execute();
      expect(rows[0]?.customer_id).toBeTruthy();
      expect(rows[0]?.customer_id).toBe(rows[1]?.customer_id);
    });
  });
});

describe('warehouse resolution', () => {
  describe('when the store has no mapping', () => {
    it('the event needs attention with the reason and no order exists', async () => {
      const body = ysOrder({
        client: {
          id: 'v',
          chain_id: CHAIN_ID,
          store_id: 'ys-store-unknown',
          external_partner_config_id: null,
        },
      });
      const event = await deliver(h.system, body);
      expect(event.status).toBe('attention');
      expect(event.outcome).toContain('no warehouse is mapped to Yemeksepeti store ys-store-unknown');
      expect(
        await h.system.db
          .selectFrom('orders')
          .select('id')
          .where('external_order_id', '=', String(body.order_id))
          .executeTakeFirst(),
      ).toBeUndefined();
    });
  });

  describe('when the store is known only by external_partner_config_id', () => {
    it('that id resolves the warehouse', async () => {
      const body = ysOrder({
        client: { id: 'v', chain_id: CHAIN_ID, store_id: null, external_partner_config_id: MARKET_STORE },
      });
      const event = await deliver(h.system, body);
      expect(event.status).toBe('processed');
      const d = await detail(h.system, await orderIdFor(h.system, String(body.order_id)));
      expect(d.warehouseCode).toBe('IST-KDK');
    });
  });

  describe('when a Market-token order names a store of the Su warehouse', () => {
    it('the event needs attention naming the category mismatch', async () => {
      const body = ysOrder({ client: { id: 'v', chain_id: CHAIN_ID, store_id: SU_STORE } });
      const event = await deliver(h.system, body);
      expect(event.status).toBe('attention');
      expect(event.outcome).toContain(
        'maps to su warehouse IST-USK-SU, but the order came with the market token',
      );
    });
  });

  describe('when a store id is mapped to a second warehouse', () => {
    it('the mapping is refused with 409: a store maps to one warehouse', async () => {
      const res = await putJson(h.system, '/admin/warehouses/IST-OTHER', {
        category: 'market',
        name: 'Başka Depo',
        externalStoreIds: [MARKET_STORE],
      });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('conflict');
    });
  });
});

describe('stock shortages', () => {
  describe('when one item is short and the other is in stock', () => {
    it('marks the short item NOT_FOUND, reserves only the rest and tells Yemeksepeti with UPDATE_CART', async () => {
      await setStock(h.system, 'IST-KDK', { 'KAHVE-250G': 0, 'CAY-1KG': 5 });
      const body = ysOrder({
        items: [
          {
            _id: 'k1',
            sku: 'KAHVE-250G',
            name: 'Türk Kahvesi 250 g',
            status: 'NOT_PROCESSED',
            pricing: { pricing_type: 'UNIT', unit_price: 120, total_price: 120, quantity: 1 },
          },
          {
            _id: 'c1',
            sku: 'CAY-1KG',
            name: 'Rize Çayı 1 kg',
            status: 'NOT_PROCESSED',
            pricing: { pricing_type: 'UNIT', unit_price: 150.25, total_price: 300.5, quantity: 2 },
          },
        ],
      });
      const event = await deliver(h.system, body);
      expect(event.status).toBe('processed');
      expect(event.outcome).toContain('1 item(s) NOT_FOUND');
      const id = await orderIdFor(h.system, String(body.order_id));
      const d = await detail(h.system, id);
      expect(d.status).toBe('confirmed');
      expect(d.items.map((i) => [i.sku, i.status])).toEqual([
        ['KAHVE-250G', 'NOT_FOUND'],
        ['CAY-1KG', 'IN_CART'],
      ]);
      expect(d.subtotal).toBe(30_050);
      expect(await stockOf('IST-KDK', 'CAY-1KG')).toMatchObject({ reserved: 2 });
      expect(await stockOf('IST-KDK', 'KAHVE-250G')).toMatchObject({ reserved: 0 });
      const [update] = await waitFor(() => {
        const u = h.ys.updatesFor(String(body.order_id));
        return u.length ? u : undefined;
      });
      expect(update?.chainId).toBe(CHAIN_ID);
      expect(update?.body).toEqual({
        order_id: body.order_id,
        status: 'UPDATE_CART',
        items: [
          { _id: 'k1', sku: 'KAHVE-250G', status: 'NOT_FOUND' },
          { _id: 'c1', sku: 'CAY-1KG', status: 'IN_CART' },
        ],
      });
      const topics = (
        await h.system.db.selectFrom('outbox').select('topic').where('order_id', '=', id).execute()
      ).map((r) => r.topic);
      expect(topics.sort()).toEqual([
        'delivery.requested',
        'subscribers.order.created',
        'yemeksepeti.order.update',
      ]);
    });
  });

  describe('when nothing in the order is in stock', () => {
    it('records the order cancelled, sends CANCELLED with a reason and requests no delivery', async () => {
      const body = ysOrder({
        items: [
          {
            _id: 'x',
            sku: 'YOK-URUN',
            name: 'Stokta olmayan ürün',
            pricing: { pricing_type: 'UNIT', unit_price: 10, total_price: 10, quantity: 1 },
          },
        ],
      });
      const event = await deliver(h.system, body);
      expect(event.outcome).toContain('nothing in stock');
      const id = await orderIdFor(h.system, String(body.order_id));
      const d = await detail(h.system, id);
      expect(d.status).toBe('cancelled');
      expect(d.attributes).toMatchObject({ yemeksepeti: { bisuStatus: 'ORDER_CANCELLED' } });
      const updates = await waitFor(() => {
        const u = h.ys.updatesFor(String(body.order_id));
        return u.length ? u : undefined;
      });
      expect(updates[0]?.body).toEqual({
        order_id: body.order_id,
        status: 'CANCELLED',
        cancellation: { reason: 'ITEM_UNAVAILABLE' },
      });
      const topics = (
        await h.system.db.selectFrom('outbox').select('topic').where('order_id', '=', id).execute()
      ).map((r) => r.topic);
      expect(topics).toEqual(['yemeksepeti.order.update']);
      expect(
        await h.system.process.services.queues.subscriberEvents.getJob(`order-created-${id}`),
      ).toBeUndefined();
    });
  });
});

describe('when DELIVERY_WEBHOOK_URL is set and the delivery domain fails once', () => {
  it('POSTs delivery.requested with an idempotency key, retries the 500 and records both attempts', async () => {
    const delivery = new FakeProvider();
    const url = await delivery.start();
    const route = delivery.route('POST', '/deliveries', () => ({ status: 202, body: { accepted: true } }));
    route.fail({ status: 500 });
    const other = await startYs({ DELIVERY_WEBHOOK_URL: `${url}/deliveries` });
    try {
      const body = ysOrder();
      await deliver(other.system, body);
      const id = await orderIdFor(other.system, String(body.order_id));
      const d = await waitForTimeline(other.system, id, (e) =>
        e.message.startsWith('delivery.requested delivered'),
      );
      const deliveryCalls = d.timeline.filter(
        (e) => e.type === 'provider_call' && e.metadata.topic === 'delivery.requested',
      );
      expect(deliveryCalls.map((e) => e.metadata.outcome)).toEqual(['retrying', 'succeeded']);
      expect(route.calls).toHaveLength(2);
      const keys = route.calls.map((c) => c.headers['idempotency-key']);
      expect(keys[0]).toBe(`delivery-requested-${id}`);
      expect(keys[1]).toBe(keys[0]);
      expect(route.calls[1]?.body).toMatchObject({
        type: 'delivery.requested',
        orderId: id,
        warehouseCode: 'IST-KDK',
        deliveryAddress: { city: 'İstanbul', instructions: 'Şişli değil, Kadıköy!' },
      });
    } finally {
      await other.stop();
      await delivery.close();
    }
  });
});
