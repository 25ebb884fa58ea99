import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundEvent } from '../../../src/db/schema.js';
import { createManualOrders } from '../../../src/integrations/manual/batch.js';
import { createManualOrder } from '../../../src/integrations/manual/create.js';
import type { HandlerResult } from '../../../src/integrations/types.js';
import type { Settled } from '../../../src/lib/coalesce.js';
import { handled, reserved as reservedIn } from '../../support/batch.js';
import { postJson, startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../../support/system.js';

type Json = Record<string, unknown>;

// The gateway only: the pushed events wait in the inbox, and the test hands them to the batch handler itself.
let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({ worker: false });
  await system.db
    .insertInto('warehouses')
    .values({ code: 'WH-B', category: 'market', name: 'Batch' })
    .execute();
  await setStock({ 'TEA-1': 100, 'CUP-1': 100 });
});
afterAll(async () => {
  await system?.stop();
});

const ctx = () => system.process.services.ctx;

async function setStock(levels: Record<string, number>) {
  for (const [sku, onHand] of Object.entries(levels)) {
    await system.db
      .insertInto('stock_levels')
      .values({ warehouse_code: 'WH-B', sku, on_hand: onHand, updated_at: new Date() })
      .onConflict((oc) => oc.columns(['warehouse_code', 'sku']).doUpdateSet({ on_hand: onHand }))
      .execute();
  }
}

function order(extra: Json = {}): Json {
  return {
    externalOrderId: `B-${randomUUID().slice(0, 8)}`,
    currency: 'TRY',
    customer: { externalId: 'cust-batch', name: 'Deniz' },
    items: [
      { sku: 'TEA-1', name: 'Çay', quantity: 2, unitPrice: 1_250 },
      { sku: 'CUP-1', name: 'Bardak', quantity: 1, unitPrice: 500 },
    ],
    warehouse: 'WH-B',
    paid: true,
    ...extra,
  };
}

async function stored(body: Json): Promise<InboundEvent> {
  const res = await postJson(`${system.baseUrl}/api/orders`, body, {
    authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
    'idempotency-key': `key-${randomUUID()}`,
  });
  expect(res.status).toBe(202);
  const { eventId } = (await res.json()) as { eventId: string };
  return system.db
    .selectFrom('inbound_events')
    .selectAll()
    .where('id', '=', eventId)
    .executeTakeFirstOrThrow();
}

async function ordersOf(body: Json | undefined) {
  return system.db
    .selectFrom('orders')
    .select(['id', 'order_number', 'status'])
    .select(sql<string>`xmin::text`.as('xmin'))
    .where('channel', '=', 'manual')
    .where('external_order_id', '=', String(body?.externalOrderId))
    .execute();
}

const reserved = (sku: string) => reservedIn(system.db, 'WH-B', sku);

describe('when one batch mixes clean manual orders with every case the single path decides', () => {
  const bodies: Record<string, Json> = {};
  let results: Settled<HandlerResult>[];
  let teaBefore: number;

  beforeAll(async () => {
    bodies.existing = order();
    await createManualOrder(ctx(), await stored(bodies.existing));
    teaBefore = await reserved('TEA-1');
    bodies.a = order();
    bodies.b = order({ warehouse: undefined });
    bodies.unknown = order({ warehouse: 'WH-NOWHERE' });
    bodies.aAgain = { ...bodies.a, discountTotal: 100 };
    const events = [];
    for (const key of ['a', 'b', 'unknown', 'existing', 'aAgain'])
      events.push(await stored(bodies[key] ?? {}));
    results = await createManualOrders(ctx(), events);
  });

  it('creates the clean orders together in one transaction with consecutive numbers', async () => {
    const [a] = await ordersOf(bodies.a);
    const [b] = await ordersOf(bodies.b);
    expect(a?.xmin).toBeDefined();
    expect(a?.xmin).toBe(b?.xmin);
    expect(Number(b?.order_number.slice(-5))).toBe(Number(a?.order_number.slice(-5)) + 1);
    expect(handled(results[0])).toEqual({
      status: 'processed',
      orderId: a?.id,
      outcome: `created ${a?.order_number}`,
    });
    expect(handled(results[1])).toEqual({
      status: 'processed',
      orderId: b?.id,
      outcome: `created ${b?.order_number}`,
    });
    expect(a?.status).toBe('confirmed');
  });

  it("writes each order's timeline and order.created with it", async () => {
    const [a] = await ordersOf(bodies.a);
    const timeline = await system.db
      .selectFrom('order_events')
      .select('type')
      .where('order_id', '=', a?.id ?? '')
      .orderBy('id')
      .execute();
    expect(timeline.map((e) => e.type)).toEqual(['created', 'stock_reserved']);
    const outbox = await system.db
      .selectFrom('outbox')
      .select(['topic', sql<string>`xmin::text`.as('xmin')])
      .where('order_id', '=', a?.id ?? '')
      .execute();
    expect(outbox).toEqual([{ topic: 'subscribers.order.created', xmin: a?.xmin }]);
  });

  it('gives the unknown warehouse the same attention as alone, and creates nothing for it', async () => {
    expect(handled(results[2])).toEqual({
      status: 'attention',
      outcome: 'unknown warehouse WH-NOWHERE; no order created',
    });
    expect(await ordersOf(bodies.unknown)).toEqual([]);
  });

  it('creates no second order for an order that exists or repeats in the batch', async () => {
    const [existing] = await ordersOf(bodies.existing);
    const [a] = await ordersOf(bodies.a);
    expect(handled(results[3])).toEqual({
      status: 'processed',
      orderId: existing?.id,
      outcome: `order ${existing?.order_number} already existed`,
    });
    expect(handled(results[4])).toEqual({
      status: 'processed',
      orderId: a?.id,
      outcome: `order ${a?.order_number} already existed`,
    });
    expect(await ordersOf(bodies.existing)).toHaveLength(1);
    expect(await ordersOf(bodies.a)).toHaveLength(1);
  });

  it('reserves exactly what the created orders hold in the warehouse', async () => {
    // Only a reserves: b names no warehouse, the existing order reserved before.
    expect(await reserved('TEA-1')).toBe(teaBefore + 2);
  });
});

describe('when each order fits the stock alone but the batch together does not', () => {
  it('falls back to one by one: one order is created whole, the other is in attention with nothing reserved', async () => {
    const before = await reserved('TEA-1');
    // Room for one more order of 2 teas, not two.
    await setStock({ 'TEA-1': before + 3 });
    const first = order();
    const second = order();
    const results = await createManualOrders(ctx(), [await stored(first), await stored(second)]);
    const outcomes = results.map((r) => handled(r));
    expect(outcomes.filter((o) => o.status === 'processed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'attention')).toEqual([
      {
        status: 'attention',
        outcome: `insufficient stock in warehouse WH-B: TEA-1 (requested 2, available 1); no order created`,
      },
    ]);
    expect(await reserved('TEA-1')).toBe(before + 2);
    const created = [...(await ordersOf(first)), ...(await ordersOf(second))];
    expect(created).toHaveLength(1);
  });
});
