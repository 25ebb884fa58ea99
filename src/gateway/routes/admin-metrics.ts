import type { Hono } from 'hono';
import { sql } from 'kysely';
import type { Db } from '../../db/index.js';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { AppError } from '../../lib/errors.js';

const jobStates = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

/**
 * Orders by channel and status at a cost that does not grow with the table: the open statuses are counted
 * (their index holds only open orders), the finished ones (most of a shop's history) are read from the
 * planner's multi-column statistics on (channel, status) that autovacuum's analyze keeps, times the table's
 * row estimate. A table never analyzed yet has no statistics: its finished orders are counted.
 */
async function orderCounts(db: Db): Promise<{ channel: string; status: string; n: number }[]> {
  const open = await sql<{ channel: string; status: string; n: number }>`
    select channel, status, count(*)::int as n from orders
    where status in ('pending', 'confirmed', 'processing', 'shipped') group by channel, status`.execute(db);
  const estimated = await sql<{ channel: string; status: string; n: number }>`
    select s.most_common_vals[i][1] as channel, s.most_common_vals[i][2] as status,
      round(s.most_common_freqs[i] * greatest(c.reltuples, 0))::float8 as n
    from pg_stats_ext s
    cross join pg_class c
    cross join generate_subscripts(s.most_common_vals, 1) as i
    where s.statistics_name = 'orders_channel_status' and s.statistics_schemaname = current_schema()
      and c.oid = 'orders'::regclass and s.most_common_vals[i][2] in ('delivered', 'cancelled', 'refunded')`.execute(
    db,
  );
  const analyzed = await sql<{ n: number }>`
    select count(*)::int as n from pg_stats_ext
    where statistics_name = 'orders_channel_status' and statistics_schemaname = current_schema()`.execute(db);
  if ((analyzed.rows[0]?.n ?? 0) > 0) return [...open.rows, ...estimated.rows];
  const finished = await sql<{ channel: string; status: string; n: number }>`
    select channel, status, count(*)::int as n from orders
    where status in ('delivered', 'cancelled', 'refunded') group by channel, status`.execute(db);
  return [...open.rows, ...finished.rows];
}

/**
 * `GET /admin/metrics`: Prometheus text format for this process (scrape with the admin bearer token). Queue
 * depths and the inbox events that are not done are read at scrape time; processed events are not counted
 * (the inbox grows without bound, and those never need a person).
 */
export function registerMetricsRoute(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/admin/metrics', async (c) => {
    const metrics = deps.metrics;
    if (!metrics) throw new AppError('not_found', 'metrics are not enabled in this process');
    const [queueCounts, inbox, orders] = await Promise.all([
      Promise.all(
        deps.queues.all().map(async (q) => ({ name: q.name, counts: await q.getJobCounts(...jobStates) })),
      ),
      deps.db
        .selectFrom('inbound_events')
        .select(['status', sql<number>`count(*)::int`.as('n')])
        .where('status', 'in', ['received', 'failed', 'dead', 'attention'])
        .groupBy('status')
        .execute(),
      orderCounts(deps.db),
    ]);
    metrics.orders.reset();
    for (const row of orders) metrics.orders.set({ channel: row.channel, status: row.status }, Number(row.n));
    metrics.queueJobs.reset();
    for (const { name, counts } of queueCounts) {
      for (const state of jobStates) metrics.queueJobs.set({ queue: name, state }, counts[state] ?? 0);
    }
    metrics.inboxEvents.reset();
    for (const status of ['received', 'failed', 'dead', 'attention']) {
      metrics.inboxEvents.set({ status }, inbox.find((r) => r.status === status)?.n ?? 0);
    }
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
}
