import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundEvent } from '../../../src/db/schema.js';
import type { HandlerResult } from '../../../src/integrations/types.js';
import { handleYemeksepetiEvents } from '../../../src/integrations/yemeksepeti/batch.js';
import { handleYemeksepetiEvent } from '../../../src/integrations/yemeksepeti/handle.js';
import type { Settled } from '../../../src/lib/coalesce.js';
import { handled, reserved as reservedIn } from '../../support/batch.js';
import { waitFor } from '../../support/system.js';
import { withStatus, ysOrder } from './fixtures.js';
import { sendYs, setStock, startYs, type YsHarness } from './helpers.js';

type Json = Record<string, unknown>;

// The gateway only: the pushed events wait in the inbox, and the test hands them to the batch handler itself.
let h: YsHarness;
beforeAll(async () => {
  h = await startYs({}, { worker: false });
});
afterAll(async () => {
  await h?.stop();
});

const ctx = () => h.system.process.services.ctx;

async function stored(body: Json): Promise<InboundEvent> {
  const res = await sendYs(h.system, body);
  expect(res.status).toBe(202);
  const { eventId } = (await res.json()) as { eventId: string };
  return h.system.db
    .selectFrom('inbound_events')
    .selectAll()
    .where('id', '=', eventId)
    .executeTakeFirstOrThrow();
}

async function ordersOf(orderId: unknown) {
  return h.system.db
    .selectFrom('orders')
    .select(['id', 'order_number', 'customer_id', 'status'])
    .select(sql<string>`xmin::text`.as('xmin'))
    .where('channel', '=', 'yemeksepeti')
    .where('external_order_id', '=', String(orderId))
    .execute();
}

async function outboxTopics(orderId: string): Promise<string[]> {
  const rows = await h.system.db
    .selectFrom('outbox')
    .select('topic')
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.topic);
}

const reserved = (sku: string) => reservedIn(h.system.db, 'IST-KDK', sku);

describe('when one batch mixes clean creations with every case the single path decides', () => {
  const bodies: Record<string, Json> = {};
  let results: Settled<HandlerResult>[];
  let reservedBefore: { water: number; cheese: number };

  beforeAll(async () => {
    const existing = ysOrder();
    await handleYemeksepetiEvent(ctx(), await stored(existing));
    reservedBefore = { water: await reserved('SU-19L'), cheese: await reserved('PEYNIR-KG') };

    // a and b: one customer (by Yemeksepeti id) whom only this batch names.
    const customer = { ...(ysOrder().customer as Json), _id: 'ys-cust-batch' };
    const a = ysOrder({ customer });
    bodies.a = a;
    bodies.b = ysOrder({ customer: { ...customer, first_name: 'Deniz' } });
    bodies.unmapped = ysOrder({ client: { ...(a.client as Json), store_id: 'ys-store-nowhere' } });
    const items = a.items as Json[];
    bodies.short = ysOrder({
      items: [items[0], { ...items[0], _id: 'item-x', sku: 'YOK-BOYLE-BIR-SEY', name: 'Stokta yok' }],
    });
    bodies.existing = { ...existing, comment: 'a redelivered create with another body' };
    bodies.aAgain = { ...a, comment: 'the same order twice in one batch' };
    const events = [];
    for (const key of ['a', 'b', 'unmapped', 'short', 'existing', 'aAgain']) {
      events.push(await stored(bodies[key] ?? {}));
    }
    results = await handleYemeksepetiEvents(ctx(), events);
  });

  it('creates the clean orders together in one transaction with consecutive numbers', async () => {
    const [a] = await ordersOf(bodies.a?.order_id);
    const [b] = await ordersOf(bodies.b?.order_id);
    expect(a?.xmin).toBeDefined();
    expect(a?.xmin).toBe(b?.xmin);
    expect(Number(b?.order_number.slice(-5))).toBe(Number(a?.order_number.slice(-5)) + 1);
    expect(handled(results[0])).toMatchObject({
      status: 'processed',
      outcome: `created ${a?.order_number} in IST-KDK`,
    });
    expect(handled(results[1])).toMatchObject({
      status: 'processed',
      outcome: `created ${b?.order_number} in IST-KDK`,
    });
    expect(await outboxTopics(a?.id ?? '')).toEqual(['subscribers.order.created', 'delivery.requested']);
  });

  it('keeps one customer for the two orders, with the later name', async () => {
    const [a] = await ordersOf(bodies.a?.order_id);
    const [b] = await ordersOf(bodies.b?.order_id);
    expect(b?.customer_id).toBe(a?.customer_id);
    const customer = await h.system.db
      .selectFrom('customers')
      .select('name')
      .where('id', '=', a?.customer_id ?? '')
      .executeTakeFirstOrThrow();
    expect(customer.name).toBe('Deniz Güneşoğlu');
  });

  it('gives the unmapped store the same attention as alone, and creates nothing for it', async () => {
    expect(handled(results[2])).toMatchObject({
      status: 'attention',
      outcome: expect.stringContaining('no warehouse is mapped to Yemeksepeti store ys-store-nowhere'),
    });
    expect(await ordersOf(bodies.unmapped?.order_id)).toEqual([]);
  });

  it('applies the stock rule to the order with a short line (NOT_FOUND + UPDATE_CART)', async () => {
    expect(handled(results[3])).toMatchObject({
      status: 'processed',
      outcome: expect.stringMatching(/in IST-KDK with 1 item\(s\) NOT_FOUND$/),
    });
    const [order] = await ordersOf(bodies.short?.order_id);
    expect(await outboxTopics(order?.id ?? '')).toEqual([
      'yemeksepeti.order.update',
      'subscribers.order.created',
      'delivery.requested',
    ]);
  });

  it('creates no second order for an order that exists or repeats in the batch', async () => {
    expect(handled(results[4]).status).toBe('processed');
    expect(handled(results[5]).status).toBe('processed');
    expect(await ordersOf(bodies.existing?.order_id)).toHaveLength(1);
    expect(await ordersOf(bodies.a?.order_id)).toHaveLength(1);
  });

  it('reserves exactly what the created orders hold', async () => {
    // a, b and short take 2 water each; a and b take 750 g of cheese each (short has no cheese).
    expect(await reserved('SU-19L')).toBe(reservedBefore.water + 6);
    expect(await reserved('PEYNIR-KG')).toBe(reservedBefore.cheese + 1500);
  });
});

describe('when each order fits the stock alone but the batch together does not', () => {
  it('falls back to one by one: one order gets the water, the other finds none and is recorded cancelled', async () => {
    const before = await reserved('SU-19L');
    // Room for one more order of 2 waters, not two.
    await setStock(h.system, 'IST-KDK', { 'SU-19L': before + 3, 'PEYNIR-KG': 100_000 });
    const items = ysOrder().items as Json[];
    const first = ysOrder({ items: [items[0]] });
    const second = ysOrder({ items: [items[0]] });
    const results = await handleYemeksepetiEvents(ctx(), [await stored(first), await stored(second)]);
    const outcomes = results.map((r) => handled(r).outcome ?? '');
    expect(outcomes.filter((o) => /in IST-KDK$/.test(o))).toHaveLength(1);
    expect(outcomes.filter((o) => /nothing in stock/.test(o))).toHaveLength(1);
    expect(await reserved('SU-19L')).toBe(before + 2);
    const [a] = await ordersOf(first.order_id);
    const [b] = await ordersOf(second.order_id);
    expect(a?.xmin).not.toBe(b?.xmin);
    expect([a?.status, b?.status].sort()).toEqual(['cancelled', 'confirmed']);
  });
});

describe('when a batch reaches the worker', () => {
  it('is processed by the running worker like single events (every event finished, one order each)', async () => {
    const worker = await startYs({ WORKER_CONCURRENCY: '32' });
    try {
      await setStock(worker.system, 'IST-KDK', { 'SU-19L': 1_000, 'PEYNIR-KG': 100_000 });
      const bodies = Array.from({ length: 40 }, () => ysOrder());
      await Promise.all(bodies.map((b) => sendYs(worker.system, b)));
      const rows = await waitFor(async () => {
        const done = await worker.system.db
          .selectFrom('inbound_events')
          .select(['status', 'outcome'])
          .where('source', '=', 'yemeksepeti')
          .execute();
        return done.length === 40 && done.every((r) => r.status === 'processed') ? done : undefined;
      }, 20_000);
      expect(rows.every((r) => /^created ORD-\d{8}-\d{5} in IST-KDK$/.test(r.outcome ?? ''))).toBe(true);
      const orders = await worker.system.db
        .selectFrom('orders')
        .select((eb) => eb.fn.count<string>('external_order_id').distinct().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(orders.n)).toBe(40);
    } finally {
      await worker.stop();
    }
  });
});

describe('when a batch holds an order first seen as READY_FOR_PICKUP and one with an item sent NOT_FOUND', () => {
  it('creates both together, the first marked ready and the second without the NOT_FOUND item', async () => {
    await setStock(h.system, 'IST-KDK', { 'SU-19L': 1_000, 'PEYNIR-KG': 100_000 });
    const water = await reserved('SU-19L');
    const ready = withStatus(ysOrder(), 'READY_FOR_PICKUP');
    const [waterItem, cheeseItem] = ysOrder().items as Json[];
    const removed = ysOrder({ items: [{ ...waterItem, status: 'NOT_FOUND' }, cheeseItem] });
    const results = await handleYemeksepetiEvents(ctx(), [await stored(ready), await stored(removed)]);
    expect(results.map((r) => handled(r).status)).toEqual(['processed', 'processed']);
    const [a] = await ordersOf(ready.order_id);
    const [b] = await ordersOf(removed.order_id);
    expect(a?.xmin).toBe(b?.xmin);
    expect(a?.status).toBe('processing');
    expect(b?.status).toBe('confirmed');
    const items = await h.system.db
      .selectFrom('order_items')
      .select(['sku', 'status'])
      .where('order_id', '=', b?.id ?? '')
      .orderBy('line_no')
      .execute();
    expect(items.map((i) => [i.sku, i.status])).toEqual([
      ['SU-19L', 'NOT_FOUND'],
      ['PEYNIR-KG', 'IN_CART'],
    ]);
    // Only the READY_FOR_PICKUP order's two waters are reserved.
    expect(await reserved('SU-19L')).toBe(water + 2);
    expect(await outboxTopics(b?.id ?? '')).toEqual(['subscribers.order.created', 'delivery.requested']);
  });
});
