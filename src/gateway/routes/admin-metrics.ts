import type { Hono } from 'hono';
import { sql } from 'kysely';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { AppError } from '../../lib/errors.js';

const jobStates = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

/**
 * `GET /admin/metrics`: Prometheus text format for this process (scrape with the admin bearer token). Queue
 * depths and the inbox events that are not done are read at scrape time; processed events are not counted
 * (the inbox grows without bound, and those never need a person).
 */
export function registerMetricsRoute(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/admin/metrics', async (c) => {
    const metrics = deps.metrics;
    if (!metrics) throw new AppError('not_found', 'metrics are not enabled in this process');
    const [queueCounts, inbox] = await Promise.all([
      Promise.all(
        deps.queues.all().map(async (q) => ({ name: q.name, counts: await q.getJobCounts(...jobStates) })),
      ),
      deps.db
        .selectFrom('inbound_events')
        .select(['status', sql<number>`count(*)::int`.as('n')])
        .where('status', 'in', ['received', 'failed', 'dead', 'attention'])
        .groupBy('status')
        .execute(),
    ]);
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
