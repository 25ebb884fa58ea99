import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VENDOR_ORDERS_ROUTE } from '../../support/fake-yemeksepeti.js';
import { readServedDocument } from '../../support/openapi.js';
import { waitFor } from '../../support/system.js';
import { CHAIN_ID, MARKET_VENDOR, withStatus, ysOrder } from './fixtures.js';
import { adminPost, deliver, detail, orderIdFor, startYs, type YsHarness } from './helpers.js';

let h: YsHarness;
beforeAll(async () => {
  h = await startYs();
});
afterAll(async () => {
  await h?.stop();
});

const recover = async (body: Record<string, unknown>) => {
  const res = await adminPost(h.system, '/admin/yemeksepeti/recover', body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('POST /admin/yemeksepeti/recover', () => {
  describe('when the vendor list holds orders whose webhooks we missed, over several pages', () => {
    const received = ysOrder();
    const missed = [ysOrder(), ysOrder(), ysOrder()];
    const missedCancel = withStatus(ysOrder(), 'CANCELLED', {
      cancellation: { reason: 'Müşteri iptali', cancelled_by: 'CUSTOMER' },
    });
    let first: Record<string, unknown>;

    beforeAll(async () => {
      await deliver(h.system, received);
      h.ys.setVendorOrders(CHAIN_ID, MARKET_VENDOR, [
        received,
        ...missed,
        missedCancel,
        { order_id: 'bozuk', status: null },
      ]);
      const res = await recover({ chainId: CHAIN_ID, vendorId: MARKET_VENDOR, pageSize: 2 });
      expect(res.status).toBe(200);
      first = res.body;
    });

    it('answers the counts as the served document describes them', async () => {
      const served = await readServedDocument(h.system.baseUrl);
      expect(served.problems(served.documented('post', '/admin/yemeksepeti/recover', 200), first)).toEqual(
        [],
      );
      expect(served.undescribed([['post', '/admin/yemeksepeti/recover', [200]]])).toEqual([]);
    });

    it('reads every page and ingests only the orders we never received', () => {
      expect(first).toMatchObject({ pages: 3, listed: 6, ingested: 4, known: 1, invalid: 1 });
      const pages = h.ys.provider.requestsTo('GET', VENDOR_ORDERS_ROUTE).map((r) => r.query.page);
      expect(pages).toEqual(['1', '2', '3']);
      const query = h.ys.provider.requestsTo('GET', VENDOR_ORDERS_ROUTE)[0]?.query;
      expect(query?.page_size).toBe('2');
      expect(Date.parse(query?.end_time ?? '') - Date.parse(query?.start_time ?? '')).toBe(24 * 3600_000);
    });

    it('the recovered orders go through the same worker path as webhooks', async () => {
      for (const order of missed) {
        const id = await orderIdFor(h.system, String(order.order_id));
        const d = await detail(h.system, id);
        expect(d).toMatchObject({
          status: 'confirmed',
          warehouseCode: 'IST-KDK',
          customer: { name: 'Çağrı Güneşoğlu' },
        });
      }
      const cancelled = await detail(h.system, await orderIdFor(h.system, String(missedCancel.order_id)));
      expect(cancelled.status).toBe('cancelled');
      const events = await h.system.db
        .selectFrom('inbound_events')
        .select(['meta'])
        .where('external_order_id', '=', String(missed[0]?.order_id))
        .execute();
      expect(events).toHaveLength(1);
      expect(events[0]?.meta).toMatchObject({ recovered: true, vendorId: MARKET_VENDOR });
    });

    it('running it again ingests nothing new', async () => {
      await waitFor(async () => {
        const rows = await h.system.db
          .selectFrom('orders')
          .select('id')
          .where('channel', '=', 'yemeksepeti')
          .execute();
        return rows.length >= 5;
      });
      const again = await recover({ chainId: CHAIN_ID, vendorId: MARKET_VENDOR, pageSize: 2 });
      expect(again.body).toMatchObject({ ingested: 0, known: 5, invalid: 1 });
      const orders = await h.system.db
        .selectFrom('orders')
        .select('id')
        .where('channel', '=', 'yemeksepeti')
        .execute();
      expect(orders).toHaveLength(5);
    });

    it('a webhook arriving late for a recovered order changes nothing', async () => {
      const late = missed[1];
      if (!late) throw new Error('fixture');
      const event = await deliver(h.system, late);
      expect(event.status).toBe('processed');
      const orders = await h.system.db
        .selectFrom('orders')
        .select('id')
        .where('external_order_id', '=', String(late.order_id))
        .execute();
      expect(orders).toHaveLength(1);
    });
  });

  describe('when a listed order holds text Postgres cannot read back (a NUL in a comment)', () => {
    it('counts it invalid and stores nothing for it, and the run goes on', async () => {
      const base = ysOrder();
      const poisoned = { ...base, comment: 'zil \u0000 yok' };
      const fine = ysOrder();
      h.ys.setVendorOrders(CHAIN_ID, MARKET_VENDOR, [poisoned, fine]);
      const res = await recover({ chainId: CHAIN_ID, vendorId: MARKET_VENDOR });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ listed: 2, ingested: 1, invalid: 1 });
      const stored = await h.system.db
        .selectFrom('inbound_events')
        .select('id')
        .where('external_order_id', '=', String(base.order_id))
        .execute();
      expect(stored).toHaveLength(0);
    });
  });

  describe('when we hold an order but missed the push that cancelled it', () => {
    it('recovers the cancellation and the order ends cancelled', async () => {
      const order = ysOrder();
      await deliver(h.system, order);
      const cancelled = withStatus(order, 'CANCELLED', {
        cancellation: { reason: 'Stokta yok', cancelled_by: 'VENDOR' },
      });
      h.ys.setVendorOrders(CHAIN_ID, 'vendor-cancel', [cancelled]);
      const res = await recover({ chainId: CHAIN_ID, vendorId: 'vendor-cancel' });
      expect(res.body).toMatchObject({ listed: 1, ingested: 1, known: 0 });
      const id = await orderIdFor(h.system, String(order.order_id));
      await waitFor(async () => (await detail(h.system, id)).status === 'cancelled');
      const again = await recover({ chainId: CHAIN_ID, vendorId: 'vendor-cancel' });
      expect(again.body).toMatchObject({ ingested: 0, known: 1 });
    });
  });

  describe('when the list endpoint fails', () => {
    it('the inline run answers in the error envelope', async () => {
      h.ys.vendorOrders.fail({ status: 503 });
      const res = await recover({ chainId: CHAIN_ID, vendorId: 'vendor-x' });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: { code: 'unavailable' } });
    });
  });

  describe('when the body is invalid', () => {
    it('answers 400', async () => {
      expect((await recover({ chainId: CHAIN_ID })).status).toBe(400);
    });
  });
});

describe('the yemeksepeti.recover maintenance job', () => {
  it('retries a failed page fetch and ingests the missed orders', async () => {
    const missed = ysOrder();
    h.ys.setVendorOrders(CHAIN_ID, 'vendor-job', [missed]);
    h.ys.vendorOrders.fail({ status: 500 });
    const job = await h.system.process.services.queues.maintenance.add('yemeksepeti.recover', {
      chainId: CHAIN_ID,
      vendorId: 'vendor-job',
    });
    const id = await orderIdFor(h.system, String(missed.order_id));
    expect((await detail(h.system, id)).status).toBe('confirmed');
    const finished = await waitFor(async () => {
      const j = await h.system.process.services.queues.maintenance.getJob(job.id ?? '');
      return j?.returnvalue ? j : undefined;
    });
    expect(finished.attemptsMade).toBe(2);
    expect(finished.returnvalue).toMatchObject({ ingested: 1 });
  });
});
