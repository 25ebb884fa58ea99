import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrder } from '../../src/orders/create.js';
import { withOrderLock } from '../../src/orders/locks.js';
import { transitionOrder } from '../../src/orders/transition.js';
import { FakeProvider } from '../support/fake-provider.js';
import { postJson, startTestSystem, TEST_ADMIN_TOKEN, type TestSystem, waitFor } from '../support/system.js';
import { makeDeliveryCall } from './delivery-call.js';

describe('GET /admin/metrics', () => {
  let system: TestSystem;
  let delivery: FakeProvider;
  beforeAll(async () => {
    delivery = new FakeProvider();
    const base = await delivery.start();
    delivery.route('POST', '/deliveries', () => ({ status: 202, body: { accepted: true } }));
    system = await startTestSystem({ env: { DELIVERY_WEBHOOK_URL: `${base}/deliveries` } });
  });
  afterAll(async () => {
    await system?.stop();
    await delivery?.close();
  });
  const scrape = async () => {
    const res = await system.admin('/admin/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  describe('without the admin token', () => {
    it('answers 401', async () => {
      const res = await fetch(`${system.baseUrl}/admin/metrics`);
      expect(res.status).toBe(401);
    });
  });

  describe('after requests and a provider call', () => {
    it('counts requests by route pattern, provider calls by outcome, queue depths and open inbox events', async () => {
      const res = await postJson(
        `${system.baseUrl}/api/orders`,
        {
          externalOrderId: 'metrics-1',
          currency: 'TRY',
          items: [{ sku: 'A', name: 'a', quantity: 1, unitPrice: 100 }],
        },
        { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'idempotency-key': 'metrics-order-0001' },
      );
      expect(res.status).toBe(202);
      const orderId = await makeDeliveryCall(system.db, delivery, 'metrics-2');

      const text = await waitFor(async () => {
        const t = await scrape();
        return t.includes('provider="delivery"') ? t : undefined;
      });
      expect(text).toMatch(
        /ordergate_http_request_duration_seconds_count\{method="POST",route="\/api\/orders",status="202"\} 1/,
      );
      expect(text).toMatch(
        /ordergate_provider_call_duration_seconds_count\{provider="delivery",method="POST",endpoint="\/deliveries",outcome="202"\} 1/,
      );
      expect(text).toMatch(/ordergate_queue_jobs\{queue="inbox",state="waiting"\} \d+/);
      expect(text).toMatch(/ordergate_inbox_events\{status="dead"\} 0/);
      expect(text).toContain('ordergate_process_cpu_user_seconds_total');
      // Route patterns, not paths: no order ids in label values.
      expect(text).not.toContain(orderId);
    });
  });

  describe('after orders are pushed, fulfilled and cancelled', () => {
    const push = (externalOrderId: string, key: string, body: Record<string, unknown> = {}) =>
      postJson(
        `${system.baseUrl}/api/orders`,
        {
          externalOrderId,
          currency: 'TRY',
          paid: true,
          items: [{ sku: 'M', name: 'm', quantity: 1, unitPrice: 2500 }],
          ...body,
        },
        { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'idempotency-key': key },
      );
    const orderFor = (externalOrderId: string) =>
      waitFor(() =>
        system.db
          .selectFrom('orders')
          .selectAll()
          .where('external_order_id', '=', externalOrderId)
          .executeTakeFirst(),
      );
    const action = (id: string, name: string, body: unknown) =>
      system.admin(`/admin/orders/${id}/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('reads every family: inbox outcomes, job durations, orders by status, durations, cancellations, values', async () => {
      expect((await push('family-1', 'family-key-0001')).status).toBe(202);
      expect((await push('family-1', 'family-key-0001')).status).toBe(200);
      expect((await push('family-bad', 'family-key-0002', { currency: 'not a currency' })).status).toBe(400);
      expect((await push('family-2', 'family-key-0003')).status).toBe(202);
      const shipped = await orderFor('family-1');
      const cancelled = await orderFor('family-2');
      expect((await action(shipped.id, 'dispatch', {})).status).toBe(200);
      const dispatched = await system.db
        .selectFrom('orders')
        .selectAll()
        .where('id', '=', shipped.id)
        .executeTakeFirstOrThrow();
      await withOrderLock(system.db, 'manual', 'family-1', (trx) =>
        transitionOrder(trx, { order: dispatched, to: 'delivered', actor: 'channel:manual' }),
      );
      expect((await action(cancelled.id, 'cancel', { reason: 'customer changed their mind' })).status).toBe(
        200,
      );

      const text = await scrape();
      expect(text).toMatch(/ordergate_inbox_received_total\{source="manual",outcome="accepted"\} [2-9]/);
      expect(text).toMatch(/ordergate_inbox_received_total\{source="manual",outcome="duplicate"\} 1/);
      expect(text).toMatch(/ordergate_inbox_received_total\{source="manual",outcome="rejected"\} 1/);
      expect(text).toMatch(/ordergate_job_duration_seconds_count\{queue="inbox",outcome="completed"\} [1-9]/);
      expect(text).toMatch(/ordergate_orders\{channel="manual",status="delivered"\} 1/);
      expect(text).toMatch(/ordergate_orders\{channel="manual",status="cancelled"\} 1/);
      expect(text).toMatch(/ordergate_order_processing_duration_seconds_count\{channel="manual"\} 1/);
      expect(text).toMatch(/ordergate_order_shipping_duration_seconds_count\{channel="manual"\} 1/);
      expect(text).toMatch(/ordergate_order_delivery_duration_seconds_count\{channel="manual"\} 1/);
      expect(text).toMatch(
        /ordergate_order_cancellations_total\{channel="manual",reason_class="operator"\} 1/,
      );
      expect(text).toMatch(
        /ordergate_order_value_minor_units_bucket\{le="5000",channel="manual",currency="TRY"\} [2-9]/,
      );
      expect(text).not.toContain(shipped.id);
    });

    it('reads the finished orders from the planner statistics once the table is analyzed', async () => {
      await sql`analyze orders`.execute(system.db);
      const text = await scrape();
      expect(text).toMatch(/ordergate_orders\{channel="manual",status="delivered"\} 1/);
      expect(text).toMatch(/ordergate_orders\{channel="manual",status="cancelled"\} 1/);
    });

    /** The value of one series in a scrape (0 when it has not been observed yet). */
    const seriesValue = async (series: string) => {
      const line = (await scrape()).split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    };

    it('counts a cancellation only once its transaction commits, never when it rolls back', async () => {
      expect((await push('rollback-1', 'rollback-key-0001')).status).toBe(202);
      const order = await orderFor('rollback-1');
      const cancellations = 'ordergate_order_cancellations_total{channel="manual",reason_class="channel"}';
      const before = await seriesValue(cancellations);
      const cancel = (fail: boolean) =>
        withOrderLock(system.db, 'manual', 'rollback-1', async (trx) => {
          await transitionOrder(trx, { order, to: 'cancelled', actor: 'channel:manual' });
          if (fail) throw new Error('rolled back after the cancellation');
        });
      await expect(cancel(true)).rejects.toThrow('rolled back after the cancellation');
      expect(await seriesValue(cancellations)).toBe(before);
      await cancel(false);
      expect(await seriesValue(cancellations)).toBe(before + 1);
    });

    it('counts an order created only once its transaction commits, never when it rolls back', async () => {
      const created = 'ordergate_order_value_minor_units_count{channel="manual",currency="EUR"}';
      const before = await seriesValue(created);
      const create = (externalOrderId: string, fail: boolean) =>
        createOrder(system.db, {
          input: {
            channel: 'manual',
            externalOrderId,
            currency: 'EUR',
            items: [{ sku: 'RB', name: 'rb', quantity: 1, unitPrice: 700 }],
            actor: 'test',
          },
          announce: false,
          inTx: async (trx, order) => {
            await transitionOrder(trx, { order, to: 'cancelled', actor: 'channel:manual' });
            if (fail) throw new Error('rolled back after the creation');
          },
        });
      const cancellations = 'ordergate_order_cancellations_total{channel="manual",reason_class="channel"}';
      const cancelledBefore = await seriesValue(cancellations);
      await expect(create('rollback-2', true)).rejects.toThrow('rolled back after the creation');
      expect(await seriesValue(created)).toBe(before);
      expect(await seriesValue(cancellations)).toBe(cancelledBefore);
      await create('rollback-3', false);
      expect(await seriesValue(created)).toBe(before + 1);
      expect(await seriesValue(cancellations)).toBe(cancelledBefore + 1);
    });
  });
});
