import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics: one registry per process (web and worker processes are scraped
 * separately), default process metrics, and the product's own series. Labels never carry ids or secrets.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Histogram<'method' | 'route' | 'status'>;
  providerCalls: Histogram<'provider' | 'method' | 'outcome'>;
  queueJobs: Gauge<'queue' | 'state'>;
  inboxEvents: Gauge<'status'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ordergate_' });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'ordergate_http_request_duration_seconds',
      help: 'Gateway requests by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    providerCalls: new Histogram({
      name: 'ordergate_provider_call_duration_seconds',
      help: 'Outbound provider HTTP attempts by provider and outcome (HTTP status, timeout, network)',
      labelNames: ['provider', 'method', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'ordergate_queue_jobs',
      help: 'BullMQ jobs per queue and state, read at scrape time',
      labelNames: ['queue', 'state'],
      registers: [registry],
    }),
    inboxEvents: new Gauge({
      name: 'ordergate_inbox_events',
      help: 'Inbox events that are not processed yet or need a person, read at scrape time',
      labelNames: ['status'],
      registers: [registry],
    }),
  };
}
