import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_UPDATED, tellDeliveryLinesChanged } from '../../../src/integrations/delivery/index.js';
import { createOrder } from '../../../src/orders/create.js';
import { getOrderForUpdate } from '../../../src/orders/locks.js';
import { FakeProvider, type FakeRequest, type FakeRoute } from '../../support/fake-provider.js';
import { waitFor } from '../../support/system.js';
import { withStatus, ysOrder } from './fixtures.js';
import { adminPost, deliver, orderIdFor, setStock, startYs, type YsHarness } from './helpers.js';

const SECRET = 'delivery-secret-current-0123456789';

let h: YsHarness;
let delivery: FakeProvider;
let deliveries: FakeRoute;
beforeAll(async () => {
  delivery = new FakeProvider();
  const base = await delivery.start();
  deliveries = delivery.route('POST', '/deliveries', () => ({ status: 202, body: { accepted: true } }));
  h = await startYs({ DELIVERY_WEBHOOK_URL: `${base}/deliveries`, DELIVERY_WEBHOOK_SECRET: SECRET });
  await setStock(h.system, 'IST-KDK', { 'SU-19L': 1_000, 'PEYNIR-KG': 1_000_000 });
});
afterAll(async () => {
  await h?.stop();
  await delivery?.close();
});

/** The water line (2 × 45.50) taken out of the cart: the refund Yemeksepeti can carry. */
const waterRefund = { amount: 9_100, reason: 'damacanalar eksik', items: [{ sku: 'SU-19L', quantity: 2 }] };
/** What is left to deliver after it: the 750 g of cheese. */
const cheese = { sku: 'PEYNIR-KG', name: 'Ezine Beyaz Peynir (kg)', quantity: 750, pricingType: 'kg' };

const bodyOf = (req: FakeRequest) => JSON.parse(req.rawBody) as { type: string; orderId: string };
const postsFor = (orderId: string, type: string) =>
  deliveries.calls.filter((req) => {
    const body = bodyOf(req);
    return body.orderId === orderId && body.type === type;
  });
/** Waits until the delivery domain has received `count` POSTs of `type` about the order (failed ones too). */
const waitForPosts = (orderId: string, type: string, count: number) =>
  waitFor(() => {
    const posts = postsFor(orderId, type);
    return posts.length >= count ? posts : undefined;
  });
const updateRows = (orderId: string) =>
  h.system.db
    .selectFrom('outbox')
    .select(['payload', 'status'])
    .where('order_id', '=', orderId)
    .where('topic', '=', DELIVERY_UPDATED)
    .orderBy('id')
    .execute();

/** A Yemeksepeti order created, and its delivery request received by the delivery domain. */
async function handedToDelivery(): Promise<string> {
  return (await handedToDeliveryWithBody()).id;
}

async function handedToDeliveryWithBody(): Promise<{ id: string; body: ReturnType<typeof ysOrder> }> {
  const body = ysOrder();
  await deliver(h.system, body);
  const id = await orderIdFor(h.system, String(body.order_id));
  await waitForPosts(id, 'delivery.requested', 1);
  return { id, body };
}

describe('when we refund lines of an order the delivery domain was already asked to deliver', () => {
  it('sends delivery.updated revision 1 with the lines left, signed, retried under one key', async () => {
    const id = await handedToDelivery();
    deliveries.fail({ status: 500 });
    expect((await adminPost(h.system, `/admin/orders/${id}/refund`, waterRefund)).status).toBe(200);

    const [failed, sent] = await waitForPosts(id, DELIVERY_UPDATED, 2);
    for (const post of [failed, sent]) {
      expect(JSON.parse(post?.rawBody ?? '{}')).toEqual({
        type: 'delivery.updated',
        orderId: id,
        revision: 1,
        items: [cheese],
      });
      expect(post?.headers['idempotency-key']).toBe(`delivery-updated-${id}-1`);
      expect(post?.headers['x-ordergate-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    }
    const rows = await waitFor(async () => {
      const found = await updateRows(id);
      return found.every((row) => row.status === 'delivered') ? found : undefined;
    });
    expect(rows).toHaveLength(1);
  });
});

describe("when the order's lines change a second time", () => {
  it('sends delivery.updated revision 2 under its own key', async () => {
    const id = await handedToDelivery();
    expect((await adminPost(h.system, `/admin/orders/${id}/refund`, waterRefund)).status).toBe(200);
    await waitForPosts(id, DELIVERY_UPDATED, 1);

    // A YS order is refunded once: the next change comes through the same call, under the order's lock.
    await h.system.db.transaction().execute(async (trx) => {
      const order = await getOrderForUpdate(trx, id);
      await tellDeliveryLinesChanged(trx, order, [{ ...cheese, quantity: 500, pricingType: 'kg' }]);
    });

    const posts = await waitForPosts(id, DELIVERY_UPDATED, 2);
    expect(posts.map((post) => JSON.parse(post.rawBody))).toEqual([
      { type: 'delivery.updated', orderId: id, revision: 1, items: [cheese] },
      { type: 'delivery.updated', orderId: id, revision: 2, items: [{ ...cheese, quantity: 500 }] },
    ]);
    expect(posts.map((post) => post.headers['idempotency-key'])).toEqual([
      `delivery-updated-${id}-1`,
      `delivery-updated-${id}-2`,
    ]);
  });
});

describe('when the lines of an order with no delivery request change', () => {
  it('writes no delivery.updated and leaves the order as it was', async () => {
    const { order } = await createOrder(h.system.db, {
      input: {
        channel: 'manual',
        externalOrderId: `no-request-${randomUUID()}`,
        currency: 'TRY',
        items: [{ sku: 'SU-19L', name: 'Damacana Su 19 L', quantity: 1, unitPrice: 4_550 }],
        actor: 'test',
      },
      announce: false,
    });
    const after = await h.system.db.transaction().execute(async (trx) => {
      const locked = await getOrderForUpdate(trx, order.id);
      return tellDeliveryLinesChanged(trx, locked, []);
    });
    expect(after.attributes).toEqual(order.attributes);
    expect(await updateRows(order.id)).toEqual([]);
  });
});

describe('when the refund is refused', () => {
  it('is 409 and writes no delivery.updated', async () => {
    const id = await handedToDelivery();
    const everyLine = {
      amount: 30_843,
      reason: 'hepsi',
      items: [
        { sku: 'SU-19L', quantity: 2 },
        { sku: 'PEYNIR-KG', quantity: 750 },
      ],
    };
    expect((await adminPost(h.system, `/admin/orders/${id}/refund`, everyLine)).status).toBe(409);
    expect(await updateRows(id)).toEqual([]);
    expect(postsFor(id, DELIVERY_UPDATED)).toEqual([]);
  });
});

describe('when an order the delivery domain was asked to deliver is cancelled', () => {
  const calledOff = async (id: string) => {
    const [post] = await waitForPosts(id, DELIVERY_UPDATED, 1);
    expect(JSON.parse(post?.rawBody ?? '{}')).toEqual({
      type: 'delivery.updated',
      orderId: id,
      revision: 1,
      items: [],
    });
  };

  it('by us, sends delivery.updated with nothing left to deliver', async () => {
    const id = await handedToDelivery();
    const res = await adminPost(h.system, `/admin/orders/${id}/cancel`, { reason: 'müşteri vazgeçti' });
    expect(res.status).toBe(200);
    await calledOff(id);
  });

  it('by Yemeksepeti, sends delivery.updated with nothing left to deliver', async () => {
    const { id, body } = await handedToDeliveryWithBody();
    await deliver(
      h.system,
      withStatus(body, 'CANCELLED', { cancellation: { reason: 'LATE', cancelled_by: 'PLATFORM' } }),
    );
    await calledOff(id);
  });
});

describe('when the delivery request of a refunded order is no longer in the outbox', () => {
  it('still sends delivery.updated: the order itself records that it was handed over', async () => {
    const id = await handedToDelivery();
    // Delivered outbox rows are deleted after RETENTION_DAYS.
    await h.system.db
      .deleteFrom('outbox')
      .where('order_id', '=', id)
      .where('topic', '=', 'delivery.requested')
      .execute();
    expect((await adminPost(h.system, `/admin/orders/${id}/refund`, waterRefund)).status).toBe(200);
    const [post] = await waitForPosts(id, DELIVERY_UPDATED, 1);
    expect(JSON.parse(post?.rawBody ?? '{}')).toMatchObject({ revision: 1, items: [cheese] });
  });
});
