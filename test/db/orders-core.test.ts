import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, type Db, openDatabase } from '../../src/db/index.js';
import type { Order } from '../../src/db/schema.js';
import { AppError } from '../../src/lib/errors.js';
import { recordChannelStatus } from '../../src/orders/channel-status.js';
import { type CreateOrderInput, createOrder, createOrders } from '../../src/orders/create.js';
import {
  findOrderByExternalId,
  findOrderById,
  getOrderForUpdate,
  withOrderLock,
} from '../../src/orders/locks.js';
import { allocateOrderNumber, formatOrderNumber } from '../../src/orders/order-number.js';
import { setPaymentStatus } from '../../src/orders/payment.js';
import { refundOrder } from '../../src/orders/refund.js';
import {
  availableAtStores,
  commitStock,
  findShortages,
  releaseStock,
  StockShortageError,
  shortagesIn,
} from '../../src/orders/stock.js';
import { listTimeline } from '../../src/orders/timeline.js';
import { advanceOrder, IllegalTransitionError, transitionOrder } from '../../src/orders/transition.js';
import { createTestDatabase, type TestDatabase } from '../support/system.js';

/** PGlite always; real Postgres too when DATABASE_URL is set. Each backend gets its own fresh database. */
const backends: ('pglite' | 'pg')[] = ['pglite', ...(process.env.DATABASE_URL ? (['pg'] as const) : [])];

function orderInput(externalOrderId: string, overrides: Partial<CreateOrderInput> = {}): CreateOrderInput {
  return {
    channel: 'test',
    externalOrderId,
    currency: 'try',
    items: [
      { sku: 'SKU-A', name: 'Tea', quantity: 2, unitPrice: 1_250 },
      { sku: 'SKU-B', name: 'Water', quantity: 1, unitPrice: 400 },
    ],
    actor: 'test',
    ...overrides,
  };
}

async function expectRejection<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}

describe.each(backends)('orders core on %s', (kind) => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = database.handle.db;
    await db.insertInto('warehouses').values({ code: 'WH1', category: 'market', name: 'Main' }).execute();
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function timelineOf(orderId: string) {
    return listTimeline(db, orderId);
  }

  async function reload(order: Order): Promise<Order> {
    const fresh = await findOrderById(db, order.id);
    if (!fresh) throw new Error('order vanished');
    return fresh;
  }

  async function newOrder(
    externalOrderId: string,
    overrides: Partial<CreateOrderInput> = {},
  ): Promise<Order> {
    const { order, created } = await createOrder(db, { input: orderInput(externalOrderId, overrides) });
    expect(created).toBe(true);
    return order;
  }

  async function setStock(sku: string, onHand: number): Promise<void> {
    await db
      .insertInto('stock_levels')
      .values({ warehouse_code: 'WH1', sku, on_hand: onHand, reserved: 0, updated_at: new Date() })
      .onConflict((oc) => oc.columns(['warehouse_code', 'sku']).doUpdateSet({ on_hand: onHand, reserved: 0 }))
      .execute();
  }

  async function stockOf(sku: string) {
    return db
      .selectFrom('stock_levels')
      .select(['on_hand', 'reserved'])
      .where('warehouse_code', '=', 'WH1')
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();
  }

  describe('createOrder', () => {
    it('stores order, items, totals and one created timeline entry in one go', async () => {
      const order = await newOrder('create-1', {
        totals: { shipping: 500, discount: 100 },
        externalRefs: { platformId: 'P-1' },
      });
      expect(order).toMatchObject({
        channel: 'test',
        external_order_id: 'create-1',
        status: 'pending',
        payment_status: 'pending',
        currency: 'TRY',
        subtotal: 2_900,
        discount_total: 100,
        shipping_total: 500,
        total: 3_300,
        refunded_total: 0,
        external_refs: { platformId: 'P-1' },
      });
      expect(order.order_number).toMatch(/^ORD-\d{8}-\d{5}$/);
      const items = await db
        .selectFrom('order_items')
        .selectAll()
        .where('order_id', '=', order.id)
        .orderBy('line_no')
        .execute();
      expect(items.map((i) => [i.line_no, i.sku, i.quantity, i.unit_price, i.total_price])).toEqual([
        [1, 'SKU-A', 2, 1_250, 2_500],
        [2, 'SKU-B', 1, 400, 400],
      ]);
      const timeline = await timelineOf(order.id);
      expect(timeline).toHaveLength(1);
      expect(timeline[0]).toMatchObject({
        type: 'created',
        to_status: 'pending',
        from_status: null,
        actor: 'test',
      });
    });

    it('refuses a negative total and stores nothing', async () => {
      const error = await expectRejection(
        createOrder(db, { input: orderInput('create-negative', { totals: { discount: 10_000 } }) }),
        AppError,
      );
      expect(error.code).toBe('validation_failed');
      expect(await findOrderByExternalId(db, 'test', 'create-negative')).toBeUndefined();
    });

    it('rolls the order back when the in-transaction callback fails', async () => {
      await expect(
        createOrder(db, {
          input: orderInput('create-intx-fails'),
          inTx: async () => {
            throw new Error('side effect failed');
          },
        }),
      ).rejects.toThrow('side effect failed');
      expect(await findOrderByExternalId(db, 'test', 'create-intx-fails')).toBeUndefined();
    });

    describe('when the same external order is created twice in a row', () => {
      it('returns the first order and adds nothing', async () => {
        const first = await createOrder(db, { input: orderInput('idem-seq') });
        const second = await createOrder(db, { input: orderInput('idem-seq', { items: [] }) });
        expect(first.created).toBe(true);
        expect(second.created).toBe(false);
        expect(second.order.id).toBe(first.order.id);
        const items = await db
          .selectFrom('order_items')
          .select('id')
          .where('order_id', '=', first.order.id)
          .execute();
        expect(items).toHaveLength(2);
        expect(await timelineOf(first.order.id)).toHaveLength(1);
      });

      it('keeps orders of different channels with the same external id apart', async () => {
        const a = await createOrder(db, { input: orderInput('shared-ext', { channel: 'alpha' }) });
        const b = await createOrder(db, { input: orderInput('shared-ext', { channel: 'beta' }) });
        expect(a.created && b.created).toBe(true);
        expect(a.order.id).not.toBe(b.order.id);
      });
    });

    describe('when 10 creates of the same external order run at once', () => {
      it('yields exactly one order, one set of items and one created entry', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, () => createOrder(db, { input: orderInput('idem-concurrent') })),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
        const orders = await db
          .selectFrom('orders')
          .select('id')
          .where('external_order_id', '=', 'idem-concurrent')
          .execute();
        expect(orders).toHaveLength(1);
        const orderId = orders[0]?.id ?? '';
        const items = await db
          .selectFrom('order_items')
          .select('id')
          .where('order_id', '=', orderId)
          .execute();
        expect(items).toHaveLength(2);
        const created = (await timelineOf(orderId)).filter((e) => e.type === 'created');
        expect(created).toHaveLength(1);
      });
    });
  });

  describe('createOrders (a batch in one transaction)', () => {
    const batchItems = (qty: number) => [
      { sku: 'BT-1', name: 'Batch tea', quantity: qty, unitPrice: 100 },
      { sku: 'BT-2', name: 'Batch water', quantity: 1, unitPrice: 50 },
    ];

    it('creates every order with items, reservations, timeline and outbox rows in one transaction', async () => {
      await setStock('BT-1', 10);
      await setStock('BT-2', 10);
      const results = await createOrders(db, {
        requests: ['batch-1', 'batch-2', 'batch-3'].map((id, n) => ({
          input: orderInput(id, {
            warehouseCode: 'WH1',
            items: batchItems(n + 1),
            customer: { externalId: `batch-cust-${n}`, name: `Customer ${n}` },
          }),
          outbox: (order) => [{ orderId: order.id, topic: 'test.created', payload: { n } }],
          announce: false,
        })),
      });
      expect(results.map((r) => r.created)).toEqual([true, true, true]);
      const ids = results.map((r) => r.order.id);
      const rows = await sql<{ id: string; xmin: string; order_number: string }>`
        select id, xmin::text, order_number from orders where id = any(${ids}::uuid[]) order by order_number`.execute(
        db,
      );
      expect(new Set(rows.rows.map((r) => r.xmin)).size).toBe(1);
      const sequences = rows.rows.map((r) => Number(r.order_number.slice(-5)));
      expect(sequences).toEqual([sequences[0], (sequences[0] ?? 0) + 1, (sequences[0] ?? 0) + 2]);
      expect(await stockOf('BT-1')).toEqual({ on_hand: 10, reserved: 6 });
      expect(await stockOf('BT-2')).toEqual({ on_hand: 10, reserved: 3 });
      for (const [n, id] of ids.entries()) {
        expect((await timelineOf(id)).map((e) => e.type)).toEqual(['created', 'stock_reserved']);
        const items = await db
          .selectFrom('order_items')
          .select(['sku', 'quantity'])
          .where('order_id', '=', id)
          .orderBy('line_no')
          .execute();
        expect(items).toEqual([
          { sku: 'BT-1', quantity: n + 1 },
          { sku: 'BT-2', quantity: 1 },
        ]);
        const outbox = await db
          .selectFrom('outbox')
          .select(['topic', 'payload'])
          .where('order_id', '=', id)
          .execute();
        expect(outbox).toEqual([{ topic: 'test.created', payload: { n } }]);
      }
    });

    it('answers an order that already exists, or repeats in the batch, with created: false and the one order', async () => {
      const existing = await newOrder('batch-existing');
      const results = await createOrders(db, {
        requests: [
          { input: orderInput('batch-existing') },
          { input: orderInput('batch-twice') },
          { input: orderInput('batch-twice') },
        ],
      });
      expect(results.map((r) => r.created)).toEqual([false, true, false]);
      expect(results[0]?.order.id).toBe(existing.id);
      expect(results[2]?.order.id).toBe(results[1]?.order.id);
      const count = await db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('external_order_id', 'in', ['batch-existing', 'batch-twice'])
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(2);
    });

    it('answers an order created after the caller looked (existenceChecked) with created: false, writing nothing', async () => {
      await setStock('BT-1', 10);
      await setStock('BT-2', 10);
      const existing = await newOrder('batch-meanwhile');
      const results = await createOrders(db, {
        requests: ['batch-meanwhile', 'batch-after-race'].map((id) => ({
          input: orderInput(id, { warehouseCode: 'WH1', items: batchItems(1) }),
          outbox: (order) => [{ orderId: order.id, topic: 'test.created', payload: {} }],
        })),
        existenceChecked: true,
      });
      expect(results.map((r) => r.created)).toEqual([false, true]);
      expect(results[0]?.order.id).toBe(existing.id);
      // The first attempt rolled back whole: one reservation (the new order's), outbox rows for it alone.
      expect(await stockOf('BT-1')).toEqual({ on_hand: 10, reserved: 1 });
      const outbox = await db
        .selectFrom('outbox')
        .select('order_id')
        .where('topic', '=', 'test.created')
        .where('order_id', 'in', [existing.id, results[1]?.order.id ?? ''])
        .execute();
      expect(outbox).toEqual([{ order_id: results[1]?.order.id }]);
      expect((await timelineOf(existing.id)).map((e) => e.type)).toEqual(['created']);
    });

    it('writes one customer for a customer named twice, the later details winning', async () => {
      const results = await createOrders(db, {
        requests: [
          {
            input: orderInput('batch-cust-a', {
              customer: { externalId: 'cust-twice', name: 'First', phone: '+905550000001' },
            }),
          },
          { input: orderInput('batch-cust-b', { customer: { externalId: 'cust-twice', name: 'Second' } }) },
          { input: orderInput('batch-cust-c', { customer: { phone: '+905550000009', name: 'Phone only' } }) },
        ],
      });
      const [a, b, c] = results.map((r) => r.order.customer_id);
      expect(a).toBeTruthy();
      expect(b).toBe(a);
      expect(c).not.toBe(a);
      const customer = await db
        .selectFrom('customers')
        .selectAll()
        .where('id', '=', a ?? '')
        .executeTakeFirstOrThrow();
      expect(customer).toMatchObject({ external_id: 'cust-twice', name: 'Second', phone: '+905550000001' });
    });

    it('never deadlocks two batches that name the same customers in opposite orders', async () => {
      const customers = Array.from({ length: 30 }, (_, n) => ({ externalId: `dl-cust-${n}`, name: `C${n}` }));
      for (let round = 0; round < 60; round++) {
        const batch = (tag: string, list: typeof customers) =>
          createOrders(db, {
            requests: list.map((customer, n) => ({
              input: orderInput(`dl-${round}-${tag}-${n}`, { customer }),
            })),
          });
        const results = await Promise.all([batch('a', customers), batch('b', [...customers].reverse())]);
        expect(results.flat().every((r) => r.created)).toBe(true);
      }
    });

    describe('when the orders together want more than the stock has', () => {
      it('creates none of them, reserves nothing and names the shortage', async () => {
        await setStock('BT-3', 3);
        const error = await expectRejection(
          createOrders(db, {
            requests: ['batch-short-1', 'batch-short-2'].map((id) => ({
              input: orderInput(id, {
                warehouseCode: 'WH1',
                items: [{ sku: 'BT-3', name: 'Scarce', quantity: 2, unitPrice: 100 }],
              }),
            })),
          }),
          StockShortageError,
        );
        expect(error.shortages).toEqual([{ sku: 'BT-3', requested: 4, available: 3 }]);
        expect(await stockOf('BT-3')).toEqual({ on_hand: 3, reserved: 0 });
        expect(await findOrderByExternalId(db, 'test', 'batch-short-1')).toBeUndefined();
        expect(await findOrderByExternalId(db, 'test', 'batch-short-2')).toBeUndefined();
      });
    });
  });

  describe('order numbers', () => {
    it('formats ORD-YYYYMMDD-NNNNN from the UTC day', async () => {
      expect(formatOrderNumber('2026-03-07', 42)).toBe('ORD-20260307-00042');
      expect(await allocateOrderNumber(db, new Date('2001-02-03T10:00:00Z'))).toBe('ORD-20010203-00001');
      expect(await allocateOrderNumber(db, new Date('2001-02-03T23:59:59.999Z'))).toBe('ORD-20010203-00002');
      // 01:00 in UTC+3 is still the previous UTC day.
      expect(await allocateOrderNumber(db, new Date('2001-02-04T01:00:00+03:00'))).toBe('ORD-20010203-00003');
    });

    it('starts again at 00001 when the day rolls over', async () => {
      expect(await allocateOrderNumber(db, new Date('2002-12-31T23:59:59.999Z'))).toBe('ORD-20021231-00001');
      expect(await allocateOrderNumber(db, new Date('2002-12-31T23:59:59.999Z'))).toBe('ORD-20021231-00002');
      expect(await allocateOrderNumber(db, new Date('2003-01-01T00:00:00.000Z'))).toBe('ORD-20030101-00001');
      expect(await allocateOrderNumber(db, new Date('2002-12-31T12:00:00Z'))).toBe('ORD-20021231-00003');
    });

    it('gives every order its own number', async () => {
      const a = await newOrder('number-a');
      const b = await newOrder('number-b');
      expect(a.order_number).not.toBe(b.order_number);
    });

    describe('when 200 allocations for one day run at once', () => {
      it('hands out 00001..00200, each exactly once', async () => {
        const day = new Date('2004-06-15T08:00:00Z');
        // On Postgres: four pools, as four processes would have; on PGlite the one embedded connection.
        const extra: DatabaseHandle[] =
          kind === 'pg' && database.url
            ? await Promise.all(
                Array.from({ length: 4 }, () =>
                  openDatabase({ databaseUrl: database.url, dataDir: '', poolSize: 10 }),
                ),
              )
            : [];
        try {
          const executors = extra.length > 0 ? extra.map((h) => h.db) : [db];
          const numbers = await Promise.all(
            Array.from({ length: 200 }, (_, i) =>
              allocateOrderNumber(executors[i % executors.length] ?? db, day),
            ),
          );
          const expected = Array.from({ length: 200 }, (_, i) => formatOrderNumber('2004-06-15', i + 1));
          expect(new Set(numbers).size).toBe(200);
          expect([...numbers].sort()).toEqual(expected);
        } finally {
          await Promise.all(extra.map((h) => h.close()));
        }
      });
    });
  });

  describe('transitionOrder', () => {
    it('moves along a legal edge and records who, from, to and why', async () => {
      const order = await newOrder('transition-legal');
      const updated = await transitionOrder(db, {
        order,
        to: 'confirmed',
        actor: 'operator:1',
        reason: 'payment seen',
        metadata: { source: 'test' },
      });
      expect(updated.status).toBe('confirmed');
      expect((await reload(order)).status).toBe('confirmed');
      const timeline = await timelineOf(order.id);
      expect(timeline.at(-1)).toMatchObject({
        type: 'status_changed',
        from_status: 'pending',
        to_status: 'confirmed',
        actor: 'operator:1',
        message: 'payment seen',
        metadata: { source: 'test' },
      });
    });

    it('names cancellations as such on the timeline', async () => {
      const order = await newOrder('transition-cancel');
      await transitionOrder(db, { order, to: 'cancelled', actor: 'test' });
      expect((await timelineOf(order.id)).at(-1)).toMatchObject({
        type: 'cancelled',
        from_status: 'pending',
        to_status: 'cancelled',
      });
    });

    describe('when the transition is illegal', () => {
      it.each([
        ['pending', 'shipped'],
        ['pending', 'refunded'],
        ['delivered', 'cancelled'],
        ['refunded', 'confirmed'],
        ['cancelled', 'confirmed'],
      ] as const)('refuses %s → %s, leaves the status and writes nothing', async (from, to) => {
        const order = await newOrder(`transition-illegal-${from}-${to}`, { status: from });
        const before = await timelineOf(order.id);
        const error = await expectRejection(
          transitionOrder(db, { order, to: to, actor: 'test' }),
          IllegalTransitionError,
        );
        expect(error.code).toBe('illegal_transition');
        expect(error.retryable).toBe(false);
        expect(error.details).toEqual({ orderId: order.id, from, to });
        expect((await reload(order)).status).toBe(from);
        expect(await timelineOf(order.id)).toEqual(before);
      });
    });

    describe('when the caller holds a stale copy of the order', () => {
      it('refuses instead of overwriting the newer status', async () => {
        const order = await newOrder('transition-stale');
        await transitionOrder(db, { order, to: 'cancelled', actor: 'first' });
        const before = await timelineOf(order.id);
        const error = await expectRejection(
          transitionOrder(db, { order, to: 'confirmed', actor: 'second' }),
          AppError,
        );
        expect(error.code).toBe('conflict');
        expect((await reload(order)).status).toBe('cancelled');
        expect(await timelineOf(order.id)).toEqual(before);
      });
    });
  });

  describe('advanceOrder', () => {
    it('walks every intermediate status with one timeline entry per step', async () => {
      const order = await newOrder('advance-walk');
      const updated = await advanceOrder(db, { order, to: 'delivered', actor: 'channel:test' });
      expect(updated.status).toBe('delivered');
      const steps = (await timelineOf(order.id))
        .filter((e) => e.type === 'status_changed')
        .map((e) => [e.from_status, e.to_status]);
      expect(steps).toEqual([
        ['pending', 'confirmed'],
        ['confirmed', 'processing'],
        ['processing', 'shipped'],
        ['shipped', 'delivered'],
      ]);
    });

    it('with an impliedReason, records it and implied: true on the walked steps, and the reason on the target', async () => {
      const order = await newOrder('advance-implied', { status: 'confirmed' });
      await advanceOrder(db, {
        order,
        to: 'delivered',
        actor: 'channel:test',
        reason: 'reported: delivered',
        metadata: { eventId: 'e-1' },
        impliedReason: 'implied by delivered',
      });
      const steps = (await timelineOf(order.id))
        .filter((e) => e.type === 'status_changed')
        .map((e) => [e.to_status, e.message, e.metadata]);
      expect(steps).toEqual([
        ['processing', 'implied by delivered', { eventId: 'e-1', implied: true }],
        ['shipped', 'implied by delivered', { eventId: 'e-1', implied: true }],
        ['delivered', 'reported: delivered', { eventId: 'e-1' }],
      ]);
    });

    it('is a no-op when the order is already there', async () => {
      const order = await newOrder('advance-noop', { status: 'shipped' });
      const updated = await advanceOrder(db, { order, to: 'shipped', actor: 'test' });
      expect(updated.status).toBe('shipped');
      expect(await timelineOf(order.id)).toHaveLength(1);
    });

    it('refuses an unreachable status without moving at all', async () => {
      const order = await newOrder('advance-unreachable', { status: 'shipped' });
      await expectRejection(
        advanceOrder(db, { order, to: 'confirmed', actor: 'test' }),
        IllegalTransitionError,
      );
      expect((await reload(order)).status).toBe('shipped');
      expect(await timelineOf(order.id)).toHaveLength(1);
    });
  });

  describe('recordChannelStatus', () => {
    async function historyOf(orderId: string) {
      return db
        .selectFrom('order_channel_statuses')
        .selectAll()
        .where('order_id', '=', orderId)
        .orderBy('id')
        .execute();
    }

    it('records the channel status given at creation as applied', async () => {
      const order = await newOrder('channel-initial', { channelStatus: 'RECEIVED' });
      expect(order.channel_status).toBe('RECEIVED');
      expect(await historyOf(order.id)).toEqual([
        expect.objectContaining({ channel_status: 'RECEIVED', applied: true }),
      ]);
    });

    describe('when the channel status is applied', () => {
      it('updates the channel status and adds a history row', async () => {
        const order = await newOrder('channel-applied', { channelStatus: 'RECEIVED' });
        const occurredAt = new Date('2026-01-02T03:04:05Z');
        await recordChannelStatus(db, { order, channelStatus: 'ACCEPTED', applied: true, occurredAt });
        expect((await reload(order)).channel_status).toBe('ACCEPTED');
        const history = await historyOf(order.id);
        expect(history.map((h) => [h.channel_status, h.applied])).toEqual([
          ['RECEIVED', true],
          ['ACCEPTED', true],
        ]);
        expect(history[1]?.occurred_at?.toISOString()).toBe(occurredAt.toISOString());
      });
    });

    describe('when the channel status is stale or illegal', () => {
      it('keeps the history row and a timeline note but leaves the order alone', async () => {
        const order = await newOrder('channel-not-applied', { channelStatus: 'DISPATCHED' });
        await recordChannelStatus(db, {
          order,
          channelStatus: 'ACCEPTED',
          applied: false,
          note: 'older than DISPATCHED',
        });
        const fresh = await reload(order);
        expect(fresh.channel_status).toBe('DISPATCHED');
        expect(fresh.status).toBe('pending');
        expect((await historyOf(order.id)).map((h) => [h.channel_status, h.applied, h.note])).toEqual([
          ['DISPATCHED', true, null],
          ['ACCEPTED', false, 'older than DISPATCHED'],
        ]);
        expect((await timelineOf(order.id)).at(-1)).toMatchObject({
          type: 'channel_status',
          actor: 'channel:test',
          metadata: { channelStatus: 'ACCEPTED', applied: false },
        });
      });
    });
  });

  describe('setPaymentStatus', () => {
    it('changes the payment status with a timeline entry naming both ends', async () => {
      const order = await newOrder('payment-change');
      const updated = await setPaymentStatus(db, { order, paymentStatus: 'paid', actor: 'channel:pay' });
      expect(updated.payment_status).toBe('paid');
      expect(updated.status).toBe('pending');
      expect((await timelineOf(order.id)).at(-1)).toMatchObject({
        type: 'payment_status_changed',
        actor: 'channel:pay',
        metadata: { from: 'pending', to: 'paid' },
      });
    });

    it('writes nothing when the payment status does not change', async () => {
      const order = await newOrder('payment-same', { paymentStatus: 'paid' });
      await setPaymentStatus(db, { order, paymentStatus: 'paid', actor: 'test' });
      expect(await timelineOf(order.id)).toHaveLength(1);
    });

    it('refuses a status it does not know', async () => {
      const order = await newOrder('payment-unknown');
      const error = await expectRejection(
        setPaymentStatus(db, { order, paymentStatus: 'settled' as 'paid', actor: 'test' }),
        AppError,
      );
      expect(error.code).toBe('validation_failed');
      expect((await reload(order)).payment_status).toBe('pending');
    });
  });

  describe('refundOrder', () => {
    it('records a partial refund without changing the status', async () => {
      const order = await newOrder('refund-partial', { status: 'confirmed', paymentStatus: 'paid' });
      const updated = await refundOrder(db, {
        order,
        actor: 'admin',
        amount: 1_000,
        reason: 'one item broken',
      });
      expect(updated).toMatchObject({
        status: 'confirmed',
        payment_status: 'partially_refunded',
        refunded_total: 1_000,
      });
      expect((await timelineOf(order.id)).at(-1)).toMatchObject({
        type: 'refunded',
        message: 'one item broken',
        metadata: { amount: 1_000, refundedTotal: 1_000 },
      });
    });

    it('moves a fully refunded order to refunded through the table', async () => {
      const order = await newOrder('refund-full', { status: 'confirmed', paymentStatus: 'paid' });
      const partly = await refundOrder(db, { order, actor: 'admin', amount: 900 });
      const updated = await refundOrder(db, { order: partly, actor: 'admin', amount: 2_000 });
      expect(updated).toMatchObject({
        status: 'refunded',
        payment_status: 'refunded',
        refunded_total: 2_900,
      });
      expect((await timelineOf(order.id)).at(-1)).toMatchObject({
        type: 'refunded',
        from_status: 'confirmed',
        to_status: 'refunded',
      });
    });

    it('refuses to refund more than is left, changing nothing', async () => {
      const order = await newOrder('refund-over', { status: 'confirmed', paymentStatus: 'paid' });
      const partly = await refundOrder(db, { order, actor: 'admin', amount: 2_000 });
      const before = await timelineOf(order.id);
      const error = await expectRejection(
        refundOrder(db, { order: partly, actor: 'admin', amount: 901 }),
        AppError,
      );
      expect(error.code).toBe('rule_refund_exceeds_payment');
      expect(error.details).toEqual({ remaining: 900 });
      expect(await reload(order)).toMatchObject({
        refunded_total: 2_000,
        payment_status: 'partially_refunded',
      });
      expect(await timelineOf(order.id)).toEqual(before);
    });

    describe('when the caller holds a stale copy of the order', () => {
      it('refuses instead of losing the other refund', async () => {
        const order = await newOrder('refund-stale', { status: 'confirmed', paymentStatus: 'paid' });
        await refundOrder(db, { order, actor: 'first', amount: 1_000 });
        const error = await expectRejection(
          refundOrder(db, { order, actor: 'second', amount: 1_000 }),
          AppError,
        );
        expect(error.code).toBe('conflict');
        expect(error.retryable).toBe(true);
        expect((await reload(order)).refunded_total).toBe(1_000);
      });
    });

    it.each([0, -5, 1.5])('refuses an amount of %s', async (amount) => {
      const order = await newOrder(`refund-bad-${amount}`, { status: 'confirmed', paymentStatus: 'paid' });
      const error = await expectRejection(refundOrder(db, { order, actor: 'admin', amount }), AppError);
      expect(error.code).toBe('validation_failed');
      expect((await reload(order)).refunded_total).toBe(0);
    });
  });

  describe('stock', () => {
    describe('when every line is in stock', () => {
      it('reserves the lines at creation, summing repeated SKUs', async () => {
        await setStock('ST-1', 10);
        await setStock('ST-2', 3);
        const order = await newOrder('stock-ok', {
          warehouseCode: 'WH1',
          items: [
            { sku: 'ST-1', name: 'One', quantity: 2, unitPrice: 100 },
            { sku: 'ST-2', name: 'Two', quantity: 3, unitPrice: 100 },
            { sku: 'ST-1', name: 'One again', quantity: 1, unitPrice: 100 },
          ],
        });
        expect(await stockOf('ST-1')).toEqual({ on_hand: 10, reserved: 3 });
        expect(await stockOf('ST-2')).toEqual({ on_hand: 3, reserved: 3 });
        const reservations = await db
          .selectFrom('stock_reservations')
          .select(['sku', 'quantity', 'status'])
          .where('order_id', '=', order.id)
          .orderBy('sku')
          .execute();
        expect(reservations).toEqual([
          { sku: 'ST-1', quantity: 3, status: 'reserved' },
          { sku: 'ST-2', quantity: 3, status: 'reserved' },
        ]);
        expect((await timelineOf(order.id)).map((e) => e.type)).toEqual(['created', 'stock_reserved']);
      });
    });

    describe('when one line is short', () => {
      it('reserves nothing, creates no order and lists the shortage', async () => {
        await setStock('SH-1', 10);
        await setStock('SH-2', 1);
        const error = await expectRejection(
          createOrder(db, {
            input: orderInput('stock-short', {
              warehouseCode: 'WH1',
              items: [
                { sku: 'SH-1', name: 'Plenty', quantity: 2, unitPrice: 100 },
                { sku: 'SH-2', name: 'Scarce', quantity: 2, unitPrice: 100 },
                { sku: 'SH-3', name: 'Unknown', quantity: 1, unitPrice: 100 },
              ],
            }),
          }),
          StockShortageError,
        );
        expect(error.shortages).toEqual([
          { sku: 'SH-2', requested: 2, available: 1 },
          { sku: 'SH-3', requested: 1, available: 0 },
        ]);
        expect(error.retryable).toBe(false);
        expect(await stockOf('SH-1')).toEqual({ on_hand: 10, reserved: 0 });
        expect(await stockOf('SH-2')).toEqual({ on_hand: 1, reserved: 0 });
        expect(await findOrderByExternalId(db, 'test', 'stock-short')).toBeUndefined();
      });

      it('counts what other orders hold as unavailable', async () => {
        await setStock('SH-4', 3);
        await newOrder('stock-holder', {
          warehouseCode: 'WH1',
          items: [{ sku: 'SH-4', name: 'Held', quantity: 2, unitPrice: 100 }],
        });
        expect(await findShortages(db, 'WH1', [{ sku: 'SH-4', quantity: 2 }])).toEqual([
          { sku: 'SH-4', requested: 2, available: 1 },
        ]);
      });
    });

    it("reads the stock of the stores' warehouses only, and judges each order's lines against it", async () => {
      await db.insertInto('warehouses').values({ code: 'WH2', category: 'market', name: 'Other' }).execute();
      await db
        .insertInto('warehouse_external_stores')
        .values([
          { channel: 'shop', external_store_id: 'store-1', warehouse_code: 'WH1' },
          { channel: 'shop', external_store_id: 'store-2', warehouse_code: 'WH2' },
        ])
        .execute();
      await setStock('AS-1', 5);
      await db
        .insertInto('stock_levels')
        .values({ warehouse_code: 'WH2', sku: 'AS-1', on_hand: 50, reserved: 0, updated_at: new Date() })
        .execute();
      const available = await availableAtStores(db, 'shop', ['store-1', 'store-1'], ['AS-1', 'AS-missing']);
      // WH2's 50 are not read: store-2 was not asked for.
      expect([...available.values()]).toEqual([5]);
      expect(
        shortagesIn(
          [
            {
              warehouseCode: 'WH1',
              lines: [
                { sku: 'AS-1', quantity: 3 },
                { sku: 'AS-1', quantity: 2 },
              ],
            },
            {
              warehouseCode: 'WH1',
              lines: [
                { sku: 'AS-1', quantity: 6 },
                { sku: 'AS-missing', quantity: 1 },
              ],
            },
            { warehouseCode: 'WH2', lines: [{ sku: 'AS-1', quantity: 1 }] },
          ],
          available,
        ),
      ).toEqual([
        [],
        [
          { sku: 'AS-1', requested: 6, available: 5 },
          { sku: 'AS-missing', requested: 1, available: 0 },
        ],
        [{ sku: 'AS-1', requested: 1, available: 0 }],
      ]);
    });

    it('leaves lines the channel marked unavailable or not to reserve out of the reservation', async () => {
      await setStock('SK-1', 1);
      const order = await newOrder('stock-skip', {
        warehouseCode: 'WH1',
        items: [
          { sku: 'SK-1', name: 'Reserved', quantity: 1, unitPrice: 100 },
          { sku: 'SK-2', name: 'Not found', quantity: 1, unitPrice: 100, status: 'NOT_FOUND' },
          { sku: 'SK-3', name: 'Service', quantity: 1, unitPrice: 100, reserve: false },
        ],
      });
      expect(order.subtotal).toBe(200);
      expect(await stockOf('SK-1')).toEqual({ on_hand: 1, reserved: 1 });
    });

    describe('when the order is cancelled', () => {
      it('returns the reservation to the pool, once', async () => {
        await setStock('RL-1', 5);
        const order = await newOrder('stock-release', {
          warehouseCode: 'WH1',
          items: [{ sku: 'RL-1', name: 'R', quantity: 4, unitPrice: 100 }],
        });
        expect(await stockOf('RL-1')).toEqual({ on_hand: 5, reserved: 4 });
        await transitionOrder(db, { order, to: 'cancelled', actor: 'test' });
        expect(await stockOf('RL-1')).toEqual({ on_hand: 5, reserved: 0 });
        expect((await timelineOf(order.id)).map((e) => e.type)).toEqual([
          'created',
          'stock_reserved',
          'cancelled',
          'stock_released',
        ]);
        expect(await releaseStock(db, order.id)).toBe(0);
        expect(await stockOf('RL-1')).toEqual({ on_hand: 5, reserved: 0 });
      });
    });

    describe('when the goods leave the warehouse', () => {
      it('commits the reservation against on-hand stock, once, and a later cancel releases nothing', async () => {
        await setStock('CM-1', 5);
        const order = await newOrder('stock-commit', {
          warehouseCode: 'WH1',
          items: [{ sku: 'CM-1', name: 'C', quantity: 2, unitPrice: 100 }],
        });
        expect(await commitStock(db, order.id)).toBe(1);
        expect(await stockOf('CM-1')).toEqual({ on_hand: 3, reserved: 0 });
        expect(await commitStock(db, order.id)).toBe(0);
        await transitionOrder(db, { order, to: 'cancelled', actor: 'test' });
        expect(await stockOf('CM-1')).toEqual({ on_hand: 3, reserved: 0 });
        const reservation = await db
          .selectFrom('stock_reservations')
          .select('status')
          .where('order_id', '=', order.id)
          .executeTakeFirstOrThrow();
        expect(reservation.status).toBe('committed');
      });
    });
  });

  describe('customers', () => {
    it('finds the same customer again by the channel customer id and fills in missing details', async () => {
      const a = await newOrder('cust-ext-1', { customer: { externalId: 'C-1', phone: '+905550000001' } });
      const b = await newOrder('cust-ext-2', { customer: { externalId: 'C-1', name: 'Ayşe', phone: null } });
      expect(a.customer_id).not.toBeNull();
      expect(b.customer_id).toBe(a.customer_id);
      const customer = await db
        .selectFrom('customers')
        .selectAll()
        .where('id', '=', a.customer_id ?? '')
        .executeTakeFirstOrThrow();
      expect(customer).toMatchObject({ external_id: 'C-1', name: 'Ayşe', phone: '+905550000001' });
    });

    it('finds the same customer by phone when the channel has no customer id', async () => {
      const a = await newOrder('cust-phone-1', { customer: { phone: '+905550000002', name: 'Ali' } });
      const b = await newOrder('cust-phone-2', {
        customer: { phone: '+905550000002', email: 'ali@example.com' },
      });
      expect(b.customer_id).toBe(a.customer_id);
      const customer = await db
        .selectFrom('customers')
        .selectAll()
        .where('id', '=', a.customer_id ?? '')
        .executeTakeFirstOrThrow();
      expect(customer).toMatchObject({ name: 'Ali', email: 'ali@example.com', external_id: null });
    });

    it('keeps customers of different channels apart', async () => {
      const a = (await newOrder('cust-ch-a', { channel: 'alpha', customer: { externalId: 'C-9' } }))
        .customer_id;
      const b = (await newOrder('cust-ch-b', { channel: 'beta', customer: { externalId: 'C-9' } }))
        .customer_id;
      expect(a).toBeTruthy();
      expect(b).not.toBe(a);
    });

    it('leaves the order without a customer when the channel gives neither id nor phone', async () => {
      const order = await newOrder('cust-none', { customer: { name: 'Anonymous' } });
      expect(order.customer_id).toBeNull();
    });

    it('creates one customer when the same new customer orders twice at once', async () => {
      const orders = await Promise.all(
        Array.from({ length: 5 }, (_, n) =>
          newOrder(`cust-race-${n}`, { customer: { externalId: 'C-race', name: 'R' } }),
        ),
      );
      expect(new Set(orders.map((o) => o.customer_id)).size).toBe(1);
    });
  });

  describe('when 20 commands on one order run at once', () => {
    it('serialises them: exactly one confirms, the others see it confirmed', async () => {
      const order = await newOrder('lock-race');
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          withOrderLock(db, 'test', 'lock-race', async (trx) => {
            const current = await getOrderForUpdate(trx, order.id);
            if (current.status !== 'pending') return `saw ${current.status}`;
            // Widen the window a racing transaction would need.
            await sql`select pg_sleep(0.005)`.execute(trx);
            await transitionOrder(trx, { order: current, to: 'confirmed', actor: `worker:${i}` });
            return 'confirmed';
          }),
        ),
      );
      expect(outcomes.filter((o) => o === 'confirmed')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'saw confirmed')).toHaveLength(19);
      const changes = (await timelineOf(order.id)).filter((e) => e.type === 'status_changed');
      expect(changes).toHaveLength(1);
    });

    it('lets the losers of a blind transition fail as illegal rather than apply twice', async () => {
      const order = await newOrder('lock-blind');
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          withOrderLock(db, 'test', 'lock-blind', async (trx) => {
            const current = await findOrderByExternalId(trx, 'test', 'lock-blind', true);
            if (!current) throw new Error('order missing');
            return transitionOrder(trx, { order: current, to: 'confirmed', actor: 'test' });
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(19);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(IllegalTransitionError);
      expect((await reload(order)).status).toBe('confirmed');
    });
  });
});
