import { Kysely, type LogEvent, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/index.js';
import type { Database } from '../../src/db/schema.js';
import { integrations } from '../../src/integrations/index.js';
import { coreChecks } from '../../src/reconciliation/checks.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../support/system.js';

const ORDERS = 20_000;
const config = loadConfig({ NODE_ENV: 'test' });

/**
 * 20,000 orders as a live shop has them: most delivered with their reservations committed, one in ten
 * cancelled or refunded with its reservations released and its money returned, one in two hundred still
 * open and holding its reservations; and one order in each state reconciliation reports.
 */
async function seed(db: Db): Promise<void> {
  await sql`insert into warehouses (code, category, name) values ('RC-1', 'market', 'Reconciliation')`.execute(
    db,
  );
  await sql`
    insert into orders (order_number, channel, external_order_id, status, payment_status, currency, total,
      refunded_total, created_at, updated_at)
    select 'RC-' || i, case when i % 20 = 4 then 'storefront' else 'manual' end, 'rc-' || i, s.status,
      case when s.status in ('cancelled', 'refunded') then 'refunded' else 'paid' end, 'TRY', 1000 + i,
      case when s.status in ('cancelled', 'refunded') then 1000 + i else 0 end,
      now() - i * interval '1 minute', now() - i * interval '1 minute'
    from generate_series(1, ${ORDERS}::int) i
    cross join lateral (select case when i % 200 = 0 then 'pending' when i % 20 = 1 then 'cancelled'
      when i % 20 = 2 then 'refunded' else 'delivered' end as status) s`.execute(db);
  await sql`
    insert into stock_reservations (order_id, warehouse_code, sku, quantity, status)
    select id, 'RC-1', 'SKU-' || n, 1,
      case when status = 'pending' then 'reserved' when status in ('cancelled', 'refunded') then 'released'
        else 'committed' end
    from orders cross join generate_series(1, 2) n`.execute(db);
  // The storefront's orders (every twentieth, all delivered) have their shipment rows, delivered.
  await sql`insert into order_shipments (order_id, carrier, tracking_number, shipped_at, delivered_at)
    select id, 'C', order_number, created_at, updated_at from orders where channel = 'storefront'`.execute(
    db,
  );
  // One order in each state a check reports.
  await sql`update orders set attention_reason = 'provider call failed' where order_number = 'RC-7'`.execute(
    db,
  );
  await sql`update orders set status = 'cancelled', refunded_total = 0 where order_number = 'RC-13'`.execute(
    db,
  );
  await sql`update stock_reservations set status = 'reserved'
    where order_id = (select id from orders where order_number = 'RC-21')`.execute(db);
  // A refund larger than the order.
  await sql`update orders set refunded_total = total + 1 where order_number = 'RC-43'`.execute(db);
  await sql`delete from order_shipments where order_id = (select id from orders where order_number = 'RC-64')`.execute(
    db,
  );
  await sql`update order_shipments set delivered_at = null
    where order_id = (select id from orders where order_number = 'RC-84')`.execute(db);
  await sql`analyze`.execute(db);
}

describe('reconciliation checks on a table of 20,000 orders', () => {
  let database: TestDatabase;
  let report: Awaited<ReturnType<typeof coreChecks>>;
  let ids: Record<string, string>;
  let inFlight = 0;
  let mostInFlight = 0;
  let statements = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = database.handle.db;
    await seed(db);
    const rows = await db
      .selectFrom('orders')
      .select(['id', 'order_number'])
      .where('order_number', 'in', ['RC-7', 'RC-13', 'RC-21', 'RC-43', 'RC-64', 'RC-84'])
      .execute();
    ids = Object.fromEntries(rows.map((r) => [r.order_number, r.id]));
    // Counts the statements started and not yet answered.
    const counting = db.withPlugin({
      transformQuery: (args) => {
        statements += 1;
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        return args.node;
      },
      transformResult: async (args) => {
        inFlight -= 1;
        return args.result;
      },
    });
    report = await coreChecks(counting, config, integrations);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('reports the one order in each state, and only it', () => {
    expect(report.attentionOrders).toEqual({ count: 1, sample: [ids['RC-7']] });
    // RC-21 is refunded with its money returned; only its reservations are wrong.
    expect(report.cancelledButPaid).toEqual({ count: 1, sample: [ids['RC-13']] });
    expect(report.openReservationsOnFinishedOrders).toEqual({ count: 1, sample: [ids['RC-21']] });
    expect(report.amountMismatches).toEqual({ count: 1, sample: [ids['RC-43']] });
    expect(report.shippedWithoutShipment).toEqual({ count: 1, sample: [ids['RC-64']] });
    expect(report.deliveredWithoutDate).toEqual({ count: 1, sample: [ids['RC-84']] });
    // The open orders (every 200th, pending) last changed i minutes ago: those past the default 24 h,
    // i = 1,600 … 20,000, are stuck, as manual pending orders.
    expect(report.stuckOrders.count).toBe(93);
    expect(report.stuckOrders.byChannelAndState).toEqual({ 'manual:pending': 93 });
  });

  it('runs its statements one at a time, so a run never takes both cores from the order path', () => {
    expect(statements).toBeGreaterThan(10);
    expect(mostInFlight).toBe(1);
  });

  describe.skipIf(!usingPostgres)('the plans, on Postgres', () => {
    type Recorded = { sql: string; parameters: readonly unknown[] };
    let recording: Promise<Recorded[]> | undefined;
    /** Every statement of a run, through a pool whose queries are logged (recorded once, on first use). */
    const recorded = () => {
      recording ??= (async () => {
        const queries: Recorded[] = [];
        const logged = new Kysely<Database>({
          dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }),
          log: (event: LogEvent) => {
            if (event.level === 'query')
              queries.push({ sql: event.query.sql, parameters: event.query.parameters });
          },
        });
        try {
          await coreChecks(logged, config, integrations);
        } finally {
          await logged.destroy();
        }
        return queries;
      })();
      return recording;
    };

    const planOf = async (q: Recorded) => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, [...q.parameters]);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await client.end();
      }
    };

    it.each([
      ['orders flagged for attention', /attention_reason/, 'orders_attention', 2],
      ['cancelled orders whose money was kept', /status = 'cancelled'/, 'orders_cancelled_unrefunded', 2],
      ['open reservations on finished orders', /stock_reservations/, 'stock_reservations_reserved', 1],
      ['refunds that do not add up', /refunded_total > total/, 'orders_payment_mismatch', 2],
      ['shipped orders without a shipment', /shipment_recorded/, 'orders_storefront_shipment_missing', 1],
      ['delivered orders without a date', /delivered_at is null/, 'order_shipments_undelivered', 1],
    ])('finds %s through its partial index', async (_name, pattern, index, count) => {
      const mine = (await recorded()).filter((q) => pattern.test(q.sql));
      expect(mine).toHaveLength(count);
      for (const q of mine) {
        const plan = await planOf(q);
        expect(plan, `${q.sql}\n${plan}`).toContain(index);
      }
    });

    it('reads neither every order nor every reservation for any check', async () => {
      const touching = (await recorded()).filter((q) => /from "?(orders|stock_reservations)\b/.test(q.sql));
      // Attention, stale pending, cancelled but paid, paid not confirmed, amount mismatches: a sample and a
      // count each; open reservations, stuck orders and the two shipment checks: one statement each; GoFood's
      // deadline check: two.
      expect(touching).toHaveLength(16);
      for (const q of touching) {
        const plan = await planOf(q);
        expect(plan, `${q.sql}\n${plan}`).not.toMatch(
          /Seq Scan on (orders|stock_reservations|order_shipments)/,
        );
      }
    });
  });
});
