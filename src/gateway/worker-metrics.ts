import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { AppEnv } from '../http/env.js';
import { answerErrorsInEnvelope } from '../http/envelope.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { adminAuth, type Credential } from './auth.js';

export interface WorkerMetricsAppOptions {
  metrics: Metrics;
  /** The admin API's tokens: any of them, METRICS_TOKEN included, may read this process's metrics. */
  credentials: readonly Credential[];
  logger: Logger;
}

/**
 * The HTTP face of a worker-only process (WORKER_METRICS_PORT). Such a process has no gateway, so without
 * this its own series (provider calls, process stats) are never scraped. `GET /metrics` is this process's
 * registry and needs an admin token or METRICS_TOKEN like `/admin/metrics`; queue depths and open inbox events are the same
 * for every process and stay with the gateway's `/admin/metrics`. `GET /health` is open, for liveness probes.
 */
export function createWorkerMetricsApp({
  metrics,
  credentials,
  logger,
}: WorkerMetricsAppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    c.set('logger', logger.child({ requestId }));
    c.header('X-Request-Id', requestId);
    await next();
  });
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.use('/metrics', adminAuth({ credentials, requiredRole: () => 'metrics' }));
  app.get('/metrics', async (c) => {
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
  answerErrorsInEnvelope(app, logger);
  return app;
}
