import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_ACTOR, waitFor } from '../../support/system.js';
import { CHAIN_ID, MARKET_VENDOR, withStatus, ysOrder } from './fixtures.js';
import { adminPost, deliver, detail, orderIdFor, setStock, startYs, type YsHarness } from './helpers.js';

type Json = Record<string, unknown>;

let h: YsHarness;
beforeAll(async () => {
  h = await startYs();
});
afterAll(async () => {
  await h?.stop();
});

const reservedOf = async (sku: string) =>
  (
    await h.system.db
      .selectFrom('stock_levels')
      .select('reserved')
      .where('warehouse_code', '=', 'IST-KDK')
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow()
  ).reserved;

const outboxOf = (orderId: string) =>
  h.system.db
    .selectFrom('outbox')
    .select(['topic', 'payload'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('READY_FOR_PICKUP can be a creation status', () => {
  describe('when the first push of an order is READY_FOR_PICKUP', () => {
    it('creates it like RECEIVED (stock, delivery, subscribers) and then marks it ready, without a retry', async () => {
      const water = await reservedOf('SU-19L');
      const body = withStatus(ysOrder(), 'READY_FOR_PICKUP');
      const event = await deliver(h.system, body);
      expect(event).toMatchObject({ status: 'processed', attempts: 1 });
      const id = await orderIdFor(h.system, String(body.order_id));
      const d = await detail(h.system, id);
      expect(d).toMatchObject({
        status: 'processing',
        channelStatus: 'READY_FOR_PICKUP',
        paymentStatus: 'paid',
        warehouseCode: 'IST-KDK',
        attributes: { yemeksepeti: { bisuStatus: 'ORDER_CREATED' } },
      });
      const steps = d.timeline
        .filter((e) => e.type === 'created' || e.type === 'status_changed')
        .map((e) => `${e.fromStatus ?? ''}→${e.toStatus}`);
      expect(steps).toEqual(['→confirmed', 'confirmed→processing']);
      expect(d.channelStatusHistory.map((s) => [s.channelStatus, s.applied])).toEqual([
        ['READY_FOR_PICKUP', true],
      ]);
      expect(await reservedOf('SU-19L')).toBe(water + 2);
      expect((await outboxOf(id)).map((r) => r.topic).sort()).toEqual([
        'delivery.requested',
        'subscribers.order.created',
      ]);
    });

    it('a RECEIVED that arrives after it is recorded as stale and creates nothing more', async () => {
      const body = ysOrder();
      await deliver(h.system, withStatus(body, 'READY_FOR_PICKUP'));
      const late = await deliver(h.system, body);
      expect(late.status).toBe('processed');
      const rows = await h.system.db
        .selectFrom('orders')
        .select('id')
        .where('external_order_id', '=', String(body.order_id))
        .execute();
      expect(rows).toHaveLength(1);
      const d = await detail(h.system, rows[0]?.id ?? '');
      expect(d.status).toBe('processing');
      expect(d.channelStatusHistory.map((s) => [s.channelStatus, s.applied])).toEqual([
        ['READY_FOR_PICKUP', true],
        ['RECEIVED', false],
      ]);
    });
  });

  describe('when recovery first sees an order as READY_FOR_PICKUP', () => {
    it('creates it and marks it ready', async () => {
      const body = withStatus(ysOrder(), 'READY_FOR_PICKUP');
      h.ys.setVendorOrders(CHAIN_ID, MARKET_VENDOR, [body]);
      const res = await adminPost(h.system, '/admin/yemeksepeti/recover', {
        chainId: CHAIN_ID,
        vendorId: MARKET_VENDOR,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ingested: 1 });
      const id = await orderIdFor(h.system, String(body.order_id));
      const d = await waitFor(async () => {
        const current = await detail(h.system, id);
        return current.status === 'processing' ? current : undefined;
      });
      expect(d).toMatchObject({ channelStatus: 'READY_FOR_PICKUP', warehouseCode: 'IST-KDK' });
    });
  });

  describe('when nothing in a READY_FOR_PICKUP order is in stock', () => {
    it('is recorded and cancelled like a RECEIVED one, and not marked ready', async () => {
      const body = withStatus(
        ysOrder({
          items: [
            {
              _id: 'x',
              sku: 'HIC-YOK',
              name: 'Stokta olmayan ürün',
              pricing: { pricing_type: 'UNIT', unit_price: 10, total_price: 10, quantity: 1 },
            },
          ],
        }),
        'READY_FOR_PICKUP',
      );
      await deliver(h.system, body);
      const d = await detail(h.system, await orderIdFor(h.system, String(body.order_id)));
      expect(d.status).toBe('cancelled');
      expect(d.timeline.some((e) => e.toStatus === 'processing')).toBe(false);
    });
  });
});

describe('item statuses from Yemeksepeti count', () => {
  describe('when Yemeksepeti sends items as NOT_FOUND', () => {
    let id: string;
    let water: number;
    beforeAll(async () => {
      water = await reservedOf('SU-19L');
      const items = ysOrder().items as Json[];
      const [waterItem, cheeseItem] = items;
      const body = ysOrder({
        items: [
          // In stock here, but Yemeksepeti removed it from the cart.
          { ...waterItem, status: 'NOT_FOUND' },
          // Not stocked at all here: it must not count as a shortage.
          {
            _id: 'gone',
            sku: 'HIC-STOKTA-YOK',
            name: 'Kaldırılan ürün',
            status: 'NOT_FOUND',
            pricing: { pricing_type: 'UNIT', unit_price: 10, total_price: 10, quantity: 1 },
          },
          cheeseItem,
        ],
      });
      const event = await deliver(h.system, body);
      expect(event.status).toBe('processed');
      id = await orderIdFor(h.system, String(body.order_id));
    });

    it('they stay NOT_FOUND and only the other items are in the cart and the subtotal', async () => {
      const d = await detail(h.system, id);
      expect(d.status).toBe('confirmed');
      expect(d.items.map((i) => [i.sku, i.status])).toEqual([
        ['SU-19L', 'NOT_FOUND'],
        ['HIC-STOKTA-YOK', 'NOT_FOUND'],
        ['PEYNIR-KG', 'IN_CART'],
      ]);
      expect(d.subtotal).toBe(21_743);
    });

    it('they are not reserved', async () => {
      expect(await reservedOf('SU-19L')).toBe(water);
      const reservations = await h.system.db
        .selectFrom('stock_reservations')
        .select('sku')
        .where('order_id', '=', id)
        .execute();
      expect(reservations.map((r) => r.sku)).toEqual(['PEYNIR-KG']);
    });

    it('they are not handed to delivery, and Yemeksepeti is not told what it already knows', async () => {
      const rows = await outboxOf(id);
      expect(rows.map((r) => r.topic).sort()).toEqual(['delivery.requested', 'subscribers.order.created']);
      const delivery = rows.find((r) => r.topic === 'delivery.requested');
      // toMatchObject matches arrays element for element: exactly one item, the cheese.
      expect(delivery?.payload).toMatchObject({ items: [{ sku: 'PEYNIR-KG' }] });
    });
  });

  describe('when the items Yemeksepeti kept are short here', () => {
    it('only those go through our stock check and UPDATE_CART keeps Yemeksepeti’s NOT_FOUND', async () => {
      await setStock(h.system, 'IST-KDK', { 'KISA-STOK': 0 });
      const [waterItem] = ysOrder().items as Json[];
      const body = ysOrder({
        items: [
          { ...waterItem, status: 'NOT_FOUND' },
          {
            _id: 'short',
            sku: 'KISA-STOK',
            name: 'Tükenen ürün',
            status: 'NOT_PROCESSED',
            pricing: { pricing_type: 'UNIT', unit_price: 10, total_price: 10, quantity: 1 },
          },
          {
            _id: 'ok',
            sku: 'PEYNIR-KG',
            name: 'Peynir',
            status: 'NOT_PROCESSED',
            pricing: { pricing_type: 'KG', unit_price: 200, total_price: 100, weight: 0.5, quantity: 1 },
          },
        ],
      });
      await deliver(h.system, body);
      const id = await orderIdFor(h.system, String(body.order_id));
      const update = (await outboxOf(id)).find((r) => r.topic === 'yemeksepeti.order.update');
      expect(update?.payload).toMatchObject({
        status: 'UPDATE_CART',
        items: [
          { _id: 'item-1', sku: 'SU-19L', status: 'NOT_FOUND' },
          { _id: 'short', sku: 'KISA-STOK', status: 'NOT_FOUND' },
          { _id: 'ok', sku: 'PEYNIR-KG', status: 'IN_CART' },
        ],
      });
      const d = await detail(h.system, id);
      expect(d.attributes).toMatchObject({
        yemeksepeti: { shortages: [{ sku: 'KISA-STOK', requested: 1, available: 0 }] },
      });
    });
  });
});

describe('ORDER_CONFIRMED is set where BiSU confirms an order', () => {
  describe('when an operator confirms (accepts) a created order', () => {
    it('sets ORDER_CONFIRMED, says so on the timeline and sends nothing to Yemeksepeti', async () => {
      const body = ysOrder();
      await deliver(h.system, body);
      const id = await orderIdFor(h.system, String(body.order_id));
      const res = await adminPost(h.system, `/admin/orders/${id}/accept`);
      expect(res.status).toBe(200);
      const d = await detail(h.system, id);
      expect(d.status).toBe('confirmed');
      expect(d.attributes).toMatchObject({ yemeksepeti: { bisuStatus: 'ORDER_CONFIRMED' } });
      expect(
        d.timeline.some((e) => e.actor === TEST_ADMIN_ACTOR && e.message.includes('ORDER_CONFIRMED')),
      ).toBe(true);
      const topics = (await outboxOf(id)).map((r) => r.topic);
      expect(topics).not.toContain('yemeksepeti.order.update');

      // READY_FOR_PICKUP maps to ORDER_CREATED, but the BiSU status never goes back.
      await deliver(h.system, withStatus(body, 'READY_FOR_PICKUP'));
      expect(await detail(h.system, id)).toMatchObject({
        status: 'processing',
        attributes: { yemeksepeti: { bisuStatus: 'ORDER_CONFIRMED' } },
      });

      // ORDER_RECONCILED keeps the BiSU status it found: here ORDER_CONFIRMED.
      await deliver(h.system, withStatus(body, 'ORDER_RECONCILED'));
      expect((await detail(h.system, id)).attributes).toMatchObject({
        yemeksepeti: { bisuStatus: 'ORDER_CONFIRMED' },
      });

      // Then dispatch completes it as before.
      expect((await adminPost(h.system, `/admin/orders/${id}/dispatch`)).status).toBe(200);
      expect((await detail(h.system, id)).attributes).toMatchObject({
        yemeksepeti: { bisuStatus: 'ORDER_COMPLETED' },
      });
    });
  });

  describe('when the order is already confirmed, dispatched or cancelled', () => {
    it('a confirmation is 409 rule_not_awaiting_acceptance and changes nothing', async () => {
      const confirmed = ysOrder();
      const dispatched = ysOrder();
      const cancelled = ysOrder();
      for (const body of [confirmed, dispatched, cancelled]) await deliver(h.system, body);
      const ids = {
        confirmed: await orderIdFor(h.system, String(confirmed.order_id)),
        dispatched: await orderIdFor(h.system, String(dispatched.order_id)),
        cancelled: await orderIdFor(h.system, String(cancelled.order_id)),
      };
      expect((await adminPost(h.system, `/admin/orders/${ids.confirmed}/accept`)).status).toBe(200);
      await deliver(h.system, withStatus(dispatched, 'DISPATCHED'));
      await deliver(h.system, withStatus(cancelled, 'CANCELLED', { cancellation: { reason: 'X' } }));
      for (const [state, id] of Object.entries(ids)) {
        const before = await detail(h.system, id);
        const res = await adminPost(h.system, `/admin/orders/${id}/accept`);
        expect({ state, status: res.status, code: await errorCode(res) }).toEqual({
          state,
          status: 409,
          code: 'rule_not_awaiting_acceptance',
        });
        const after = await detail(h.system, id);
        expect(after.attributes).toEqual(before.attributes);
        expect(after.timeline).toHaveLength(before.timeline.length);
      }
    });
  });
});

describe('customer service can find any order', () => {
  describe('when it searches GET /admin/orders?q= with what it has at hand', () => {
    it("finds a pushed order by Yemeksepeti's external_order_id, its order_id, our number and the customer", async () => {
      const body = ysOrder();
      await deliver(h.system, body);
      const id = await orderIdFor(h.system, String(body.order_id));
      const { orderNumber } = await detail(h.system, id);
      const found = async (q: string) => {
        const res = await h.system.admin(`/admin/orders?q=${encodeURIComponent(q)}&limit=100`);
        expect(res.status).toBe(200);
        return ((await res.json()) as { data: { id: string }[] }).data.map((o) => o.id);
      };
      for (const q of [
        String(body.external_order_id),
        String(body.order_id),
        orderNumber.slice(-6),
        'GÜNEŞOĞLU',
        'çağrı',
        '+905321112233',
      ]) {
        expect({ q, found: await found(q) }).toEqual({ q, found: expect.arrayContaining([id]) });
      }
    });
  });
});

describe('implied steps say so', () => {
  describe('when DISPATCHED follows RECEIVED directly', () => {
    it('the processing step is marked implied, not reported by Yemeksepeti; shipped is not', async () => {
      const body = ysOrder();
      await deliver(h.system, body);
      const id = await orderIdFor(h.system, body.order_id as string);
      await deliver(h.system, withStatus(body, 'DISPATCHED'));
      const steps = await h.system.db
        .selectFrom('order_events')
        .select(['to_status', 'message', 'metadata'])
        .where('order_id', '=', id)
        .where('type', '=', 'status_changed')
        .orderBy('id')
        .execute();
      expect(steps.map((s) => [s.to_status, s.metadata.implied === true])).toEqual([
        ['processing', true],
        ['shipped', false],
      ]);
      expect(steps[0]?.message).toContain('not reported by Yemeksepeti');
    });
  });
});
