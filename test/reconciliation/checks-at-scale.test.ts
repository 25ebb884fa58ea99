import { Kysely, type LogEvent, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import type { Database } from '../../src/db/schema.js';
import { coreChecks } from '../../src/reconciliation/run.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../support/system.js';

const ORDERS = 20_000;

/**
 * 20,000 orders as a live shop has them: nearly all delivered with their reservations committed, a few open
 * orders holding reservations, and one order in each state reconciliation reports.
 */
async function seed(db: Db): Promise<void> {
  await sql`insert into warehouses (code, category, name) values ('RC-1', 'market', 'Reconciliation')`.execute(
    db,
  );
  await sql`
    insert into orders (order_number, channel, external_order_id, status, payment_status, currency, total,
      created_at, updated_at)
    select 'RC-' || i, 'manual', 'rc-' || i,
      case when i % 500 = 0 then 'pending' else 'delivered' end, 'paid', 'TRY', 1000 + i,
      now() - i * interval '1 minute', now() - i * interval '1 minute'
    from generate_series(1, ${ORDERS}::int) i`.execute(db);
  await sql`
    insert into stock_reservations (order_id, warehouse_code, sku, quantity, status)
    select id, 'RC-1', 'SKU-' || s, 1, case when status = 'pending' then 'reserved' else 'committed' end
    from orders cross join generate_series(1, 2) s`.execute(db);
  // One order in each state a check reports.
  await sql`update orders set attention_reason = 'provider call failed' where order_number = 'RC-7'`.execute(
    db,
  );
  await sql`update orders set status = 'cancelled' where order_number = 'RC-11'`.execute(db);
  await sql`update orders set status = 'cancelled', payment_status = 'refunded', refunded_total = total
    where order_number = 'RC-13'`.execute(db);
  await sql`update stock_reservations set status = 'reserved'
    where order_id = (select id from orders where order_number = 'RC-13')`.execute(db);
  await sql`analyze`.execute(db);
}

describe.skipIf(!usingPostgres)('reconciliation checks on a table of 20,000 orders', () => {
  let database: TestDatabase;
  let recorded: Kysely<Database>;
  const queries: { sql: string; parameters: readonly unknown[] }[] = [];
  let report: Awaited<ReturnType<typeof coreChecks>>;
  let inFlight = 0;
  let mostInFlight = 0;

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    await seed(database.handle.db);
    // The same database through a pool whose every query is recorded, to explain each one afterwards.
    recorded = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 4 }) }),
      log: (event: LogEvent) => {
        if (event.level === 'query')
          queries.push({ sql: event.query.sql, parameters: event.query.parameters });
      },
    });
    // Counts the statements started and not yet answered.
    const counting = recorded.withPlugin({
      transformQuery: (args) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        return args.node;
      },
      transformResult: async (args) => {
        inFlight -= 1;
        return args.result;
      },
    });
    report = await coreChecks(counting, { SWEEP_AFTER_MS: 30_000 });
  });
  afterAll(async () => {
    await recorded.destroy();
    await database.drop();
  });

  it('reports the one order in each state', () => {
    expect(report.attentionOrders.count).toBe(1);
    expect(report.cancelledButPaid.count).toBe(1);
    expect(report.openReservationsOnFinishedOrders.count).toBe(1);
    expect(report.openReservationsOnFinishedOrders.sample).toHaveLength(1);
  });

  it('runs its statements one at a time, so a run never takes both cores from the order path', () => {
    expect(queries.length).toBeGreaterThan(10);
    expect(mostInFlight).toBe(1);
  });

  it('reads neither every order nor every reservation for any check', async () => {
    const touching = queries.filter((q) => /from "?(orders|stock_reservations)\b/.test(q.sql));
    // Attention, stale pending, cancelled but paid: a sample and a count each; open reservations: one statement.
    expect(touching).toHaveLength(7);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const q of touching) {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, [...q.parameters]);
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(plan, `${q.sql}\n${plan}`).not.toMatch(/Seq Scan on (orders|stock_reservations)/);
      }
    } finally {
      await client.end();
    }
  });
});
