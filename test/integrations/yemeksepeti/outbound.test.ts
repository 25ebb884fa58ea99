import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ORDER_UPDATE_ROUTE } from '../../support/fake-yemeksepeti.js';
import { waitFor } from '../../support/system.js';
import { ysOrder } from './fixtures.js';
import {
  adminPost,
  deliver,
  detail,
  orderIdFor,
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
beforeEach(() => {
  h.ys.orders.clearFaults();
});

/** Creates an order and dispatches it: the DISPATCHED update goes out through the outbox. */
async function dispatched() {
  const body = ysOrder();
  await deliver(h.system, body);
  const id = await orderIdFor(h.system, String(body.order_id));
  const res = await adminPost(h.system, `/admin/orders/${id}/dispatch`);
  expect(res.status).toBe(200);
  return { orderId: String(body.order_id), id };
}

const callsTo = (orderId: string) =>
  h.ys.provider.requestsTo('PUT', ORDER_UPDATE_ROUTE).filter((r) => r.params.orderId === orderId);
const providerCalls = async (id: string) =>
  (await detail(h.system, id)).timeline.filter(
    (e) => e.type === 'provider_call' && e.message.startsWith('yemeksepeti.order.update'),
  );

describe('PUT /v2/chains/{chain_id}/orders/{order_id}', () => {
  describe('when Yemeksepeti answers 500 once', () => {
    it('retries with the same idempotency key and the timeline shows both attempts', async () => {
      h.ys.orders.fail({ status: 500 });
      const { orderId, id } = await dispatched();
      await waitForTimeline(h.system, id, (e) => e.message.startsWith('yemeksepeti.order.update delivered'));
      const calls = callsTo(orderId);
      expect(calls).toHaveLength(2);
      expect(calls[0]?.headers['idempotency-key']).toBeTruthy();
      expect(calls[1]?.headers['idempotency-key']).toBe(calls[0]?.headers['idempotency-key']);
      expect((await providerCalls(id)).map((e) => e.metadata.outcome)).toEqual(['retrying', 'succeeded']);
      expect((await providerCalls(id))[0]?.message).toContain('answered 500');
      expect(h.ys.updatesFor(orderId)).toHaveLength(1);
    });
  });

  describe('when Yemeksepeti does not answer in time once', () => {
    it('the timeout is retried', async () => {
      h.ys.orders.fail({ timeoutMs: 2_000 });
      const { orderId, id } = await dispatched();
      await waitForTimeline(h.system, id, (e) => e.message.startsWith('yemeksepeti.order.update delivered'));
      expect((await providerCalls(id))[0]?.message).toContain('did not answer within 500 ms');
      expect(h.ys.updatesFor(orderId)).toHaveLength(1);
    });
  });

  describe('when Yemeksepeti answers 429 with Retry-After: 1', () => {
    it('waits at least that long before the retry', async () => {
      h.ys.orders.fail({ status: 429, retryAfter: '1' });
      const { orderId, id } = await dispatched();
      await waitForTimeline(h.system, id, (e) => e.message.startsWith('yemeksepeti.order.update delivered'));
      const calls = (
        await h.system.db
          .selectFrom('order_events')
          .select(['created_at', 'metadata'])
          .where('order_id', '=', id)
          .where('type', '=', 'provider_call')
          .execute()
      ).filter((e) => e.metadata.topic === 'yemeksepeti.order.update');
      expect(calls.map((c) => c.metadata.outcome)).toEqual(['retrying', 'succeeded']);
      const [first, second] = calls;
      expect(
        first && second && second.created_at.getTime() - first.created_at.getTime(),
      ).toBeGreaterThanOrEqual(900);
      expect(h.ys.updatesFor(orderId)).toHaveLength(1);
    });
  });

  describe('when the cached token has expired', () => {
    it('gets 401, fetches a new token once and succeeds in the same attempt', async () => {
      const warm = await dispatched(); // warms the token cache
      await waitFor(() => h.ys.updatesFor(warm.orderId).length > 0);
      const tokensBefore = h.ys.oauth.tokenRequests;
      h.ys.oauth.revokeAll();
      const { orderId, id } = await dispatched();
      await waitForTimeline(h.system, id, (e) => e.message.startsWith('yemeksepeti.order.update delivered'));
      expect(h.ys.oauth.tokenRequests).toBe(tokensBefore + 1);
      expect(callsTo(orderId)).toHaveLength(2);
      expect((await providerCalls(id)).map((e) => e.metadata.outcome)).toEqual(['succeeded']);
    });
  });

  describe('when Yemeksepeti refuses with 422', () => {
    it('fails at once (no retry) into attention with the provider’s answer', async () => {
      h.ys.orders.fail({
        status: 422,
        body: { error: 'order_already_picked_up', message: 'Sipariş zaten teslim alındı' },
      });
      const { orderId, id } = await dispatched();
      const d = await waitFor(async () => {
        const o = await detail(h.system, id);
        return o.attentionReason ? o : undefined;
      });
      expect(d.attentionReason).toContain('answered 422');
      expect(d.attentionReason).toContain('Sipariş zaten teslim alındı');
      expect(callsTo(orderId)).toHaveLength(1);
      expect((await providerCalls(id)).map((e) => e.metadata.outcome)).toEqual(['dead']);
    });
  });

  describe('when Yemeksepeti refuses with 400 and echoes the customer back in its error body', () => {
    it('the timeline and the attention reason keep its error code but not the phone or address', async () => {
      const customer = ysOrder().customer;
      h.ys.orders.fail({
        status: 400,
        body: {
          code: 'INVALID_ORDER_STATE',
          message: 'Order for +90 532 111 22 33 cannot be dispatched',
          order: { customer },
          customer_phone: '+905321112233',
          delivery_address: 'Moda Caddesi 12/3, Caferağa, Kadıköy',
        },
      });
      const { id } = await dispatched();
      const d = await waitFor(async () => {
        const o = await detail(h.system, id);
        return o.attentionReason ? o : undefined;
      });
      const outbox = await h.system.db
        .selectFrom('outbox')
        .select('last_error')
        .where('order_id', '=', id)
        .where('topic', '=', 'yemeksepeti.order.update')
        .executeTakeFirstOrThrow();
      const texts = [
        d.attentionReason ?? '',
        ...(await providerCalls(id)).map((e) => e.message),
        outbox.last_error ?? '',
      ];
      for (const text of texts) {
        expect(text).toContain('answered 400');
        expect(text).toContain('INVALID_ORDER_STATE');
        for (const personal of ['5321112233', '532 111 22 33', 'Moda Caddesi', 'Güneşoğlu', 'Caferağa']) {
          expect(text).not.toContain(personal);
        }
      }
      expect(d.attentionReason).toContain('Order for [number] cannot be dispatched');
    });
  });
});

describe('when the partner API is not configured', () => {
  it('the update fails at once into attention naming what is missing', async () => {
    const other = await startYs({
      YEMEKSEPETI_API_URL: '',
      YEMEKSEPETI_CLIENT_ID: '',
      YEMEKSEPETI_CLIENT_SECRET: '',
    });
    try {
      const body = ysOrder();
      await deliver(other.system, body);
      const id = await orderIdFor(other.system, String(body.order_id));
      await adminPost(other.system, `/admin/orders/${id}/dispatch`);
      const d = await waitFor(async () => {
        const o = await detail(other.system, id);
        return o.attentionReason ? o : undefined;
      });
      expect(d.attentionReason).toContain('YEMEKSEPETI_API_URL');
    } finally {
      await other.stop();
    }
  });
});
