import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
        /ordergate_provider_call_duration_seconds_count\{provider="delivery",method="POST",outcome="202"\} 1/,
      );
      expect(text).toMatch(/ordergate_queue_jobs\{queue="inbox",state="waiting"\} \d+/);
      expect(text).toMatch(/ordergate_inbox_events\{status="dead"\} 0/);
      expect(text).toContain('ordergate_process_cpu_user_seconds_total');
      // Route patterns, not paths: no order ids in label values.
      expect(text).not.toContain(orderId);
    });
  });
});
