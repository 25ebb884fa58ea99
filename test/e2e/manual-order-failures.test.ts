import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestSystem, TEST_ADMIN_TOKEN, type TestSystem, waitFor } from '../support/system.js';

interface Envelope {
  error: { code: string; message: string; requestId: string; details?: unknown };
}

function order(externalOrderId: string, extra: Record<string, unknown> = {}) {
  return {
    externalOrderId,
    currency: 'TRY',
    items: [
      { sku: 'SKU-1', name: 'Çay', quantity: 2, unitPrice: 12_550 },
      { sku: 'SKU-2', name: 'Su', quantity: 3, unitPrice: 4_000 },
    ],
    ...extra,
  };
}

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem();
  await system.db
    .insertInto('warehouses')
    .values({ code: 'WH-IST', category: 'market', name: 'Istanbul' })
    .execute();
  await system.db
    .insertInto('stock_levels')
    .values([
      { warehouse_code: 'WH-IST', sku: 'SKU-1', on_hand: 10, updated_at: new Date() },
      { warehouse_code: 'WH-IST', sku: 'SKU-2', on_hand: 1, updated_at: new Date() },
    ])
    .execute();
});
afterAll(async () => {
  await system?.stop();
});

const url = () => `${system.baseUrl}/api/orders`;
const headers = (key: string = `key-${randomUUID()}`) => ({
  authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
  'idempotency-key': key,
});

async function stored() {
  const row = await system.db
    .selectFrom('inbound_events')
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  const orders = await system.db
    .selectFrom('orders')
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return { events: row.n, orders: orders.n };
}

async function eventOf(eventId: string) {
  return system.db
    .selectFrom('inbound_events')
    .selectAll()
    .where('id', '=', eventId)
    .executeTakeFirstOrThrow();
}

describe('when the Idempotency-Key header is missing', () => {
  it('answers 400 and stores nothing', async () => {
    const before = await stored();
    const res = await postJson(url(), order('no-key'), { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Envelope;
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toMatch(/Idempotency-Key/);
    expect(await stored()).toEqual(before);
  });

  it('answers 400 for a key too short to be unique', async () => {
    const res = await postJson(url(), order('short-key'), headers('abc'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as Envelope).error.code).toBe('validation_failed');
  });
});

describe('when the body is invalid', () => {
  it('answers 400 listing each problem and stores nothing', async () => {
    const before = await stored();
    const res = await postJson(
      url(),
      order('bad-body', {
        currency: 'TL',
        items: [{ sku: 'SKU-1', name: 'Çay', quantity: 0, unitPrice: 12.5 }],
        surprise: true,
      }),
      headers(),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as Envelope;
    expect(body.error.code).toBe('validation_failed');
    const paths = (body.error.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['', 'currency', 'items.0.quantity', 'items.0.unitPrice']);
    expect(await stored()).toEqual(before);
  });
});

describe('when the admin token is wrong or missing', () => {
  it('answers 401 and stores nothing', async () => {
    const before = await stored();
    for (const authorization of [undefined, 'Bearer not-the-admin-token', `Bearer ${TEST_ADMIN_TOKEN}x`]) {
      const res = await postJson(url(), order('unauthorized'), {
        'idempotency-key': `key-${randomUUID()}`,
        ...(authorization ? { authorization } : {}),
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as Envelope).error.code).toBe('unauthorized');
    }
    expect(await stored()).toEqual(before);
  });
});

describe('when the same Idempotency-Key comes with a different body', () => {
  it('answers 422 idempotency_conflict and keeps the first body', async () => {
    const key = `key-${randomUUID()}`;
    const first = await postJson(url(), order('idem-conflict'), headers(key));
    expect(first.status).toBe(202);
    const { eventId } = (await first.json()) as { eventId: string };
    const before = await stored();

    const second = await postJson(url(), order('idem-conflict', { shippingTotal: 1 }), headers(key));
    expect(second.status).toBe(422);
    const body = (await second.json()) as Envelope;
    expect(body.error.code).toBe('idempotency_conflict');
    expect(body.error.details).toEqual({ eventId });
    expect((await stored()).events).toBe(before.events);
    expect((await eventOf(eventId)).payload).not.toHaveProperty('shippingTotal');
  });
});

describe('when the warehouse is short of stock', () => {
  it('puts the event in attention with the shortage listed, creates no order and reserves nothing', async () => {
    const res = await postJson(url(), order('short-stock', { warehouse: 'WH-IST' }), headers());
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    const event = await waitFor(async () => {
      const e = await eventOf(eventId);
      return e.status === 'received' || e.status === 'failed' ? undefined : e;
    });
    expect(event.status).toBe('attention');
    expect(event.outcome).toContain('SKU-2 (requested 3, available 1)');
    expect(event.outcome).not.toContain('SKU-1');
    expect(event.attempts).toBe(1);
    const orderRow = await system.db
      .selectFrom('orders')
      .select('id')
      .where('external_order_id', '=', 'short-stock')
      .executeTakeFirst();
    expect(orderRow).toBeUndefined();
    const levels = await system.db
      .selectFrom('stock_levels')
      .select(['sku', 'reserved'])
      .orderBy('sku')
      .execute();
    expect(levels).toEqual([
      { sku: 'SKU-1', reserved: 0 },
      { sku: 'SKU-2', reserved: 0 },
    ]);

    // After restocking, an operator replays the event and the order goes through.
    await system.db
      .updateTable('stock_levels')
      .set({ on_hand: 5 })
      .where('warehouse_code', '=', 'WH-IST')
      .where('sku', '=', 'SKU-2')
      .execute();
    const replay = await system.admin(`/admin/events/${eventId}/replay`, { method: 'POST' });
    expect(replay.status).toBe(202);
    const processed = await waitFor(async () => {
      const e = await eventOf(eventId);
      return e.status === 'processed' ? e : undefined;
    });
    expect(processed.outcome).toMatch(/^created ORD-/);
    const after = await system.db
      .selectFrom('stock_levels')
      .select(['sku', 'reserved'])
      .orderBy('sku')
      .execute();
    expect(after).toEqual([
      { sku: 'SKU-1', reserved: 2 },
      { sku: 'SKU-2', reserved: 3 },
    ]);
  });
});

describe('when the warehouse does not exist', () => {
  it('puts the event in attention naming the warehouse', async () => {
    const res = await postJson(url(), order('no-warehouse', { warehouse: 'WH-NOPE' }), headers());
    const { eventId } = (await res.json()) as { eventId: string };
    const event = await waitFor(async () => {
      const e = await eventOf(eventId);
      return e.status === 'received' || e.status === 'failed' ? undefined : e;
    });
    expect(event.status).toBe('attention');
    expect(event.outcome).toContain('unknown warehouse WH-NOPE');
  });
});
