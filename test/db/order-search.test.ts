import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXACT_TOTAL_LIMIT, searchOrders } from '../../src/orders/queries.js';
import { createTestDatabase, type TestDatabase } from '../support/system.js';

// 1,500 orders, one a minute: 'manual' on even numbers, 'gofood' on odd; every 100th pending, the rest paid.
const ORDERS = 1_500;

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await sql`
    insert into orders (order_number, channel, external_order_id, status, payment_status, currency, total, created_at)
    select 'ORD-20260101-' || lpad(i::text, 5, '0'), case when i % 2 = 0 then 'manual' else 'gofood' end,
      'ext-' || i, case when i % 100 = 0 then 'pending' else 'delivered' end,
      case when i % 100 = 0 then 'pending' else 'paid' end, 'TRY', 1000 + i,
      timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute'
    from generate_series(1, ${ORDERS}) i`.execute(database.handle.db);
  await sql`analyze orders`.execute(database.handle.db);
}, 60_000);

afterAll(async () => {
  await database?.drop();
});

describe('when a search matches more orders than the exact-count limit', () => {
  it('answers the planner estimate as total, flagged totalIsEstimate, and still the newest page', async () => {
    expect(ORDERS).toBeGreaterThan(EXACT_TOTAL_LIMIT);
    const result = await searchOrders(database.handle.db, { page: 1, limit: 3 });
    expect(result.totalIsEstimate).toBe(true);
    expect(result.total).toBeGreaterThan(EXACT_TOTAL_LIMIT);
    expect(result.data.map((o) => o.externalOrderId)).toEqual(['ext-1500', 'ext-1499', 'ext-1498']);
  });
});

describe('when a search matches fewer orders than the limit', () => {
  it('answers the exact total with totalIsEstimate false', async () => {
    const result = await searchOrders(database.handle.db, { page: 1, limit: 5, status: ['pending'] });
    expect(result).toMatchObject({ total: 15, totalIsEstimate: false });
    expect(result.data.map((o) => o.externalOrderId)).toEqual([
      'ext-1500',
      'ext-1400',
      'ext-1300',
      'ext-1200',
      'ext-1100',
    ]);
  });
});

describe('when an order-number prefix matches a few old orders', () => {
  it('returns exactly those, newest first, paged', async () => {
    const first = await searchOrders(database.handle.db, {
      page: 1,
      limit: 4,
      orderNumber: 'ORD-20260101-0001*',
    });
    expect(first).toMatchObject({ total: 10, totalIsEstimate: false });
    expect(first.data.map((o) => o.orderNumber)).toEqual([
      'ORD-20260101-00019',
      'ORD-20260101-00018',
      'ORD-20260101-00017',
      'ORD-20260101-00016',
    ]);
    const third = await searchOrders(database.handle.db, {
      page: 3,
      limit: 4,
      orderNumber: 'ORD-20260101-0001*',
    });
    expect(third.data.map((o) => o.orderNumber)).toEqual(['ORD-20260101-00011', 'ORD-20260101-00010']);
  });
});

describe('when a total range matches a few orders', () => {
  it('returns exactly the orders in range, newest first', async () => {
    const result = await searchOrders(database.handle.db, {
      page: 1,
      limit: 50,
      minTotal: 1100,
      maxTotal: 1103,
    });
    expect(result).toMatchObject({ total: 4, totalIsEstimate: false });
    expect(result.data.map((o) => o.total)).toEqual([1103, 1102, 1101, 1100]);
  });
});
