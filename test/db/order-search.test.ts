import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXACT_TOTAL_LIMIT, orderSearchPageQuery, searchOrders } from '../../src/orders/queries.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../support/system.js';

// 1,500 orders, one a minute: 'manual' on even numbers, 'gofood' on odd; every 100th pending, the rest paid.
const ORDERS = 1_500;
// Enough customers on Postgres that reading them all costs more than an index (the plan test runs there only).
const FILLER_CUSTOMERS = usingPostgres ? 20_000 : 2_000;

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
  // Customer service's orders: a Yemeksepeti order known by its integrationOrderNumber, a GoFood one by its
  // order number, both for one customer.
  await sql`
    with c as (
      insert into customers (channel, external_id, name, email, phone)
      values ('yemeksepeti', 'cust-1', 'Ayse Yilmaz', 'Ayse.Yilmaz@Example.com', '+905551112233')
      returning id)
    insert into orders (order_number, channel, external_order_id, status, payment_status, currency, total,
      customer_id, external_refs, created_at)
    select 'ORD-20251201-00001', 'yemeksepeti', 'b9e1c8a4-ys-order', 'confirmed', 'paid', 'TRY', 5000, c.id,
      '{"integrationOrderNumber": "YS-778899"}'::jsonb, timestamptz '2025-12-01 10:00:00+00' from c
    union all
    select 'ORD-20251201-00002', 'gofood', 'F-123456789', 'confirmed', 'paid', 'IDR', 7000, c.id,
      '{"gofoodOrderNumber": "F-123456789"}'::jsonb, timestamptz '2025-12-01 11:00:00+00' from c`.execute(
    database.handle.db,
  );
  // A Turkish name with both i's: lower() takes I to i, never to the dotless ı that Işık writes in lower case.
  await sql`
    with c as (
      insert into customers (channel, external_id, name, phone)
      values ('yemeksepeti', 'cust-2', 'Işık İnce', '+905551112244')
      returning id)
    insert into orders (order_number, channel, external_order_id, status, payment_status, currency, total,
      customer_id, created_at)
    select 'ORD-20251202-00001', 'yemeksepeti', 'c7d2-ys-order', 'confirmed', 'paid', 'TRY', 3000, c.id,
      timestamptz '2025-12-02 10:00:00+00' from c`.execute(database.handle.db);
  // Names with accents, as the channels send them; the last one decomposed (e + U+0301), as some devices write it.
  await sql`
    with c as (
      insert into customers (channel, external_id, name, phone)
      values ('yemeksepeti', 'cust-3', 'Çağrı Öztürk', '+905551112255'),
        ('yemeksepeti', 'cust-4', 'Şükrü Güneşoğlu', '+905551112266'),
        ('manual', 'cust-5', ${'Rene\u0301e Muñoz-Ångström'}, '+34600111222')
      returning id, external_id)
    insert into orders (order_number, channel, external_order_id, status, payment_status, currency, total,
      customer_id, created_at)
    select 'ORD-20251203-0000' || right(c.external_id, 1), 'manual', 'accents-' || c.external_id, 'confirmed',
      'paid', 'TRY', 4000, c.id, timestamptz '2025-12-03 10:00:00+00' from c`.execute(database.handle.db);
  await sql`
    insert into customers (channel, external_id, name, email, phone)
    select 'manual', 'filler-' || i, 'Customer ' || i, 'customer' || i || '@example.com', '+90555' || lpad(i::text, 7, '0')
    from generate_series(1, ${FILLER_CUSTOMERS}) i`.execute(database.handle.db);
  await sql`
    update orders o set customer_id = c.id from customers c
    where o.external_order_id like 'ext-%' and c.channel = 'manual' and c.external_id = 'filler-' || substring(o.external_order_id from 5)`.execute(
    database.handle.db,
  );
  await sql`
    update orders set external_refs = jsonb_build_object('storeId', 'store-1', 'orderCode', 'c-' || external_order_id)
    where external_order_id like 'ext-%'`.execute(database.handle.db);
  await sql`analyze orders`.execute(database.handle.db);
  await sql`analyze customers`.execute(database.handle.db);
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

describe('when customer service searches with free text q', () => {
  const found = async (q: string) =>
    (await searchOrders(database.handle.db, { page: 1, limit: 10, q })).data.map((o) => o.orderNumber);

  it('finds an order by a part of its order number', async () => {
    expect(await found('251201-00001')).toEqual(['ORD-20251201-00001']);
  });

  it('finds an order by its external order id', async () => {
    expect(await found('b9e1c8a4-ys-order')).toEqual(['ORD-20251201-00001']);
  });

  it("finds an order by any external reference (Yemeksepeti's integrationOrderNumber)", async () => {
    expect(await found('YS-778899')).toEqual(['ORD-20251201-00001']);
  });

  it("finds a customer's orders by a part of their name in any case, newest first", async () => {
    expect(await found('yILMAZ')).toEqual(['ORD-20251201-00002', 'ORD-20251201-00001']);
  });

  it.each(['Işık', 'ışık', 'IŞIK', 'işik', 'IŞIK İNCE', 'ışık ince', 'ince'])(
    "finds a Turkish customer's orders by name whatever the case of its I's (%s)",
    async (q) => {
      expect(await found(q)).toEqual(['ORD-20251202-00001']);
    },
  );

  it("finds a customer's orders by name typed without its accents", async () => {
    const cases: [string, string[]][] = [
      ['cagri', ['ORD-20251203-00003']],
      ['CAGRI OZTURK', ['ORD-20251203-00003']],
      ['ÇAĞRI', ['ORD-20251203-00003']],
      ['C\u0327ag\u0306r\u0131', ['ORD-20251203-00003']],
      ['sukru', ['ORD-20251203-00004']],
      ['sukru gunesoglu', ['ORD-20251203-00004']],
      ['ŞÜKRÜ', ['ORD-20251203-00004']],
      ['renee', ['ORD-20251203-00005']],
      ['Renée Muñoz', ['ORD-20251203-00005']],
      ['munoz-angstrom', ['ORD-20251203-00005']],
      ['isik ince', ['ORD-20251202-00001']],
      // The other way round: a name stored without accents, typed with them.
      ['Ayşe Yılmaz', ['ORD-20251201-00002', 'ORD-20251201-00001']],
    ];
    for (const [q, orders] of cases) {
      expect({ q, found: await found(q) }).toEqual({ q, found: orders });
    }
  });

  it("finds a customer's orders by email in any case, or by phone", async () => {
    expect(await found('ayse.yilmaz@example.com')).toEqual(['ORD-20251201-00002', 'ORD-20251201-00001']);
    expect(await found('+905551112233')).toEqual(['ORD-20251201-00002', 'ORD-20251201-00001']);
  });

  it('treats LIKE wildcards in q as plain characters', async () => {
    expect(await found('ORD-%-00001')).toEqual([]);
    expect(await found('Ayse_Yilmaz')).toEqual([]);
  });

  it('combines q with the other filters', async () => {
    const result = await searchOrders(database.handle.db, {
      page: 1,
      limit: 10,
      q: 'yilmaz',
      channel: 'gofood',
    });
    expect(result.data.map((o) => o.orderNumber)).toEqual(['ORD-20251201-00002']);
    expect(result.total).toBe(1);
  });

  // With sequential scans priced out, a branch no index serves still reads every order or customer: as a
  // sequential scan, or as a walk of some other index with the match left to a filter (the email and phone
  // branches without their indexes walk customers_pkey). Each scan must look its rows up by its condition.
  it.skipIf(!usingPostgres)(
    'reads every kind of match through its own index, never every order or customer',
    async () => {
      const nodes = planNodes(await explainSearch('YS-778899'));
      const unconditioned = nodes
        .filter((n) => ['orders', 'customers'].includes(n['Relation Name'] ?? ''))
        .filter((n) => n['Index Cond'] === undefined && n['Recheck Cond'] === undefined)
        .map((n) => `${n['Node Type']} on ${n['Relation Name']} (${n['Index Name'] ?? 'no index'})`);
      expect(unconditioned).toEqual([]);
      const indexes = nodes.map((n) => n['Index Name']);
      for (const index of [
        'orders_order_number_trgm',
        'orders_external_order_id',
        'orders_external_refs',
        'customers_name_unaccented_trgm',
        'customers_email_lower',
        'customers_phone',
      ]) {
        expect(indexes).toContain(index);
      }
    },
  );

  // Every seeded order has references here (the filler ones share a store id), as a channel's orders do.
  it.skipIf(!usingPostgres)(
    'finds an order by a reference through the index entries of that value, not every order with references',
    async () => {
      const scans = planNodes(await explainSearch('YS-778899'))
        .filter((n) => n['Index Name'] === 'orders_external_refs')
        .map((n) => ({ rows: n['Actual Rows'] }));
      expect(scans).toEqual([{ rows: 1 }]);
    },
  );
});

interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

/** A plan node and every node under it. */
function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** The executed plan of a `q` search's page, sequential scans priced out (Postgres only: its own connection). */
async function explainSearch(q: string): Promise<PlanNode> {
  const query = orderSearchPageQuery(database.handle.db, { page: 1, limit: 10, q }, true).compile();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query('set enable_seqscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `explain (analyze, format json) ${query.sql}`,
      [...query.parameters],
    );
    const explained = rows[0]?.['QUERY PLAN'][0];
    if (!explained) throw new Error('no plan');
    return explained.Plan;
  } finally {
    await client.end();
  }
}
