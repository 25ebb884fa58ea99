import { sql } from 'kysely';
import {
  EXACT_TOTAL_LIMIT,
  type OrderSearch,
  orderSearchCappedCountQuery,
  orderSearchPageQuery,
} from '../../src/orders/queries.js';
import { percentile } from '../lib/load.js';
import { fmt, type SectionResult } from '../lib/report.js';
import {
  ADMIN_TOKEN,
  type BenchEnv,
  createBenchEnv,
  loadAverage,
  log,
  machineFacts,
  type Proc,
  startGateway,
} from '../lib/system.js';
import type { BenchSettings } from './settings.js';

const CUSTOMERS = 50_000;

/**
 * 1,000,000 orders (and 2 items each) straight in SQL with generate_series: three channels, the status and
 * payment mixes of a live shop, totals from 10.00 to 2,000.00, one order every ~30 s over the last year,
 * 5% without a customer.
 */
async function seed(env: BenchEnv, orders: number): Promise<void> {
  const db = env.handle.db;
  await sql`insert into customers (channel, external_id, name, phone)
    select 'yemeksepeti', 'cust-' || i, 'Customer ' || i, '+90555' || lpad(i::text, 7, '0')
    from generate_series(1, ${CUSTOMERS}) i`.execute(db);
  await sql`
    insert into orders (order_number, channel, external_order_id, status, payment_status, currency, subtotal,
      total, customer_id, created_at, updated_at)
    select 'ORD-' || to_char(t.created_at at time zone 'UTC', 'YYYYMMDD') || '-' || lpad(i::text, 7, '0'),
      t.channel, t.channel || '-' || i, t.status, t.payment, 'TRY', t.total, t.total,
      case when i % 20 = 0 then null else c.id end, t.created_at, t.created_at
    from generate_series(1, ${orders}) i
    cross join lateral (select
      now() - (i * interval '31 seconds') as created_at,
      (array['yemeksepeti','yemeksepeti','yemeksepeti','yemeksepeti','yemeksepeti','gofood','gofood','gofood','manual','manual'])[1 + (hashint4(i) & 2147483647) % 10] as channel,
      (array['delivered','delivered','delivered','delivered','delivered','delivered','delivered','delivered','delivered','delivered','delivered','delivered','shipped','shipped','confirmed','confirmed','pending','processing','cancelled','refunded'])[1 + (hashint4(i + 7) & 2147483647) % 20] as status,
      (array['paid','paid','paid','paid','paid','paid','paid','paid','paid','paid','paid','paid','paid','paid','paid','paid','pending','pending','authorized','failed','refunded','partially_refunded','paid','paid','paid'])[1 + (hashint4(i + 13) & 2147483647) % 25] as payment,
      (1000 + (hashint4(i + 29) & 2147483647) % 199000)::bigint as total,
      1 + (hashint4(i + 31) & 2147483647) % ${CUSTOMERS} as customer_no) t
    left join customers c on c.external_id = 'cust-' || t.customer_no and c.channel = 'yemeksepeti'`.execute(
    db,
  );
  await sql`
    insert into order_items (order_id, line_no, sku, name, quantity, unit_price, total_price)
    select o.id, l, 'SKU-' || lpad(((hashint4(l) # hashtext(o.order_number)) & 1023)::text, 5, '0'), 'Item', 1, o.total / 2, o.total / 2
    from orders o cross join generate_series(1, 2) l`.execute(db);
  await sql`vacuum analyze`.execute(db);
}

interface Filter {
  name: string;
  /** Query string for the HTTP API. */
  qs: (i: number) => string;
  /** The same search for the query builder (EXPLAIN). */
  search: OrderSearch;
}

interface Sample {
  customerId: string;
  customerName: string;
  customerPhone: string;
  externalOrderId: string;
  orderNumber: string;
}

function filters(sample: Sample): Filter[] {
  const day = new Date(Date.now() - 40 * 24 * 3600 * 1000);
  const dayIso = day.toISOString().slice(0, 10);
  const next = new Date(day.getTime() + 24 * 3600 * 1000).toISOString().slice(0, 10);
  const base = { page: 1, limit: 50 };
  return [
    { name: 'none (newest first)', qs: () => '', search: base },
    { name: 'channel=gofood', qs: () => 'channel=gofood', search: { ...base, channel: 'gofood' } },
    { name: 'status=pending', qs: () => 'status=pending', search: { ...base, status: ['pending'] } },
    {
      name: 'status=cancelled,refunded',
      qs: () => 'status=cancelled,refunded',
      search: { ...base, status: ['cancelled', 'refunded'] },
    },
    {
      name: 'paymentStatus=failed',
      qs: () => 'paymentStatus=failed',
      search: { ...base, paymentStatus: ['failed'] },
    },
    {
      name: 'externalOrderId',
      qs: () => `externalOrderId=${sample.externalOrderId}`,
      search: { ...base, externalOrderId: sample.externalOrderId },
    },
    {
      name: 'orderNumber (exact)',
      qs: () => `orderNumber=${sample.orderNumber}`,
      search: { ...base, orderNumber: sample.orderNumber },
    },
    {
      name: 'orderNumber (prefix, one day)',
      qs: () => `orderNumber=${sample.orderNumber.slice(0, 12)}*`,
      search: { ...base, orderNumber: `${sample.orderNumber.slice(0, 12)}*` },
    },
    {
      name: 'customerId',
      qs: () => `customerId=${sample.customerId}`,
      search: { ...base, customerId: sample.customerId },
    },
    {
      name: 'from/to (one day)',
      qs: () => `from=${dayIso}&to=${next}`,
      search: { ...base, from: new Date(dayIso), to: new Date(next) },
    },
    {
      name: 'minTotal/maxTotal (narrow)',
      qs: () => 'minTotal=150000&maxTotal=150500',
      search: { ...base, minTotal: 150_000, maxTotal: 150_500 },
    },
    {
      name: 'minTotal (wide)',
      qs: () => 'minTotal=20000',
      search: { ...base, minTotal: 20_000 },
    },
    {
      name: 'channel + status + paymentStatus',
      qs: () => 'channel=manual&status=delivered&paymentStatus=paid',
      search: { ...base, channel: 'manual', status: ['delivered'], paymentStatus: ['paid'] },
    },
    { name: 'page 20 (offset 950)', qs: () => 'page=20', search: { ...base, page: 20 } },
    {
      name: 'q = a part of an order number',
      qs: () => `q=${sample.orderNumber.slice(-9)}`,
      search: { ...base, q: sample.orderNumber.slice(-9) },
    },
    {
      name: "q = a customer's name",
      qs: () => `q=${encodeURIComponent(sample.customerName)}`,
      search: { ...base, q: sample.customerName },
    },
    {
      name: "q = a customer's phone",
      qs: () => `q=${encodeURIComponent(sample.customerPhone)}`,
      search: { ...base, q: sample.customerPhone },
    },
    {
      name: 'q = an external order id',
      qs: () => `q=${sample.externalOrderId}`,
      search: { ...base, q: sample.externalOrderId },
    },
  ];
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function planSummary(node: PlanNode): { nodes: string[]; seqScans: string[] } {
  const nodes: string[] = [];
  const seqScans: string[] = [];
  const walk = (n: PlanNode) => {
    if (n['Index Name']) nodes.push(`${n['Node Type']} ${n['Index Name']}`);
    if (n['Node Type'] === 'Seq Scan') seqScans.push(n['Relation Name'] ?? '?');
    for (const child of n.Plans ?? []) walk(child);
  };
  walk(node);
  return { nodes: [...new Set(nodes)], seqScans };
}

async function explain(env: BenchEnv, search: OrderSearch) {
  const db = env.handle.db;
  const read = async (rows: Record<string, unknown>[]) => {
    const plan = (rows[0]?.['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number }[] | undefined)?.[0];
    if (!plan) throw new Error('no plan');
    return { ...planSummary(plan.Plan), ms: plan['Execution Time'] };
  };
  const count = await read(await orderSearchCappedCountQuery(db, search).explain('json', sql`analyze`));
  const capped = await orderSearchCappedCountQuery(db, search).executeTakeFirstOrThrow();
  const page = await read(
    await orderSearchPageQuery(db, search, capped.total <= EXACT_TOTAL_LIMIT).explain('json', sql`analyze`),
  );
  return { page, count };
}

export async function querySection(settings: BenchSettings): Promise<SectionResult> {
  const loadBefore = loadAverage();
  const machine = machineFacts();
  const env = await createBenchEnv('query');
  const procs: Proc[] = [];
  try {
    const t0 = performance.now();
    await seed(env, settings.queryOrders);
    const seedSec = (performance.now() - t0) / 1000;
    log(`query: seeded ${fmt(settings.queryOrders)} orders in ${fmt(seedSec, 1)} s`);
    const sample = await sql<{
      customer_id: string;
      name: string;
      phone: string;
      external_order_id: string;
      order_number: string;
    }>`
      select o.customer_id, c.name, c.phone, o.external_order_id, o.order_number
      from orders o join customers c on c.id = o.customer_id
      order by o.created_at desc offset 12345 limit 1`.execute(env.handle.db);
    const s = sample.rows[0];
    if (!s) throw new Error('no sample order');
    const gateway = await startGateway(env);
    procs.push(gateway);
    const rows: (string | number)[][] = [];
    let worst = 0;
    let seqScanFilters: string[] = [];
    for (const filter of filters({
      customerId: s.customer_id,
      customerName: s.name,
      customerPhone: s.phone,
      externalOrderId: s.external_order_id,
      orderNumber: s.order_number,
    })) {
      const url = `http://127.0.0.1:${gateway.port}/admin/orders?${filter.qs(0)}`;
      const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
      let body: { total?: number; totalIsEstimate?: boolean; data?: unknown[] } = {};
      for (let i = 0; i < 3; i++) await (await fetch(url, { headers })).arrayBuffer();
      const times: number[] = [];
      for (let i = 0; i < settings.queryRepeats; i++) {
        const start = performance.now();
        const res = await fetch(url, { headers });
        body = (await res.json()) as typeof body;
        times.push(performance.now() - start);
        if (res.status !== 200) throw new Error(`${filter.name}: HTTP ${res.status} ${JSON.stringify(body)}`);
      }
      times.sort((a, b) => a - b);
      const p95 = percentile(times, 95);
      worst = Math.max(worst, p95);
      const plan = await explain(env, filter.search);
      if (plan.page.seqScans.length || plan.count.seqScans.length) seqScanFilters.push(filter.name);
      rows.push([
        filter.name,
        `${fmt(body.total ?? 0)}${body.totalIsEstimate ? ' (estimate)' : ''}`,
        fmt(body.data?.length ?? 0),
        fmt(percentile(times, 50), 1),
        fmt(p95, 1),
        plan.page.nodes.join(', ') || (plan.page.seqScans.length ? 'Seq Scan' : '–'),
        plan.count.nodes.join(', ') || (plan.count.seqScans.length ? 'Seq Scan' : '–'),
        fmt(plan.page.ms + plan.count.ms, 1),
      ]);
      log(`query: ${filter.name} p95 ${fmt(p95, 1)} ms`);
    }
    seqScanFilters = [...new Set(seqScanFilters)];
    return {
      section: 'query',
      title: 'Admin order search',
      machine,
      loadBefore,
      loadAfter: loadAverage(),
      setup: [
        `${fmt(settings.queryOrders)} orders (+ 2 items each, ${fmt(CUSTOMERS)} customers) seeded with generate_series in ${fmt(seedSec, 0)} s, then VACUUM ANALYZE.`,
        `Each filter: 3 warm-up requests, then ${settings.queryRepeats} sequential \`GET /admin/orders?…\` through the gateway process (page of 50, items and customers included); latency measured by the client.`,
        "Plans: EXPLAIN ANALYZE of the same page and count queries, built by the API's own query builder (`orderSearchPageQuery`, `orderSearchCappedCountQuery` in src/orders/queries.ts).",
        `\`total\` is exact up to ${fmt(EXACT_TOTAL_LIMIT)} matches; beyond that it is the planner's estimate and the response says \`totalIsEstimate: true\`.`,
      ],
      tables: [
        {
          title: 'Per filter',
          headers: [
            'filter',
            'total',
            'rows',
            'p50 ms',
            'p95 ms',
            'page plan (indexes)',
            'count plan (indexes)',
            'SQL ms (EXPLAIN ANALYZE, page + count)',
          ],
          rows,
        },
      ],
      targets: [
        {
          target: 'p95 ≤ 50 ms for every filter',
          measured: `worst p95 ${fmt(worst, 1)} ms`,
          met: worst <= 50,
        },
        {
          target: 'plans use indexes',
          measured: seqScanFilters.length
            ? `sequential scan for: ${seqScanFilters.join(', ')}`
            : 'no sequential scan on orders in any plan',
          met: seqScanFilters.length === 0,
        },
      ],
      notes: [],
    };
  } finally {
    for (const p of procs) await p.stop().catch(() => {});
    await env.drop();
  }
}
