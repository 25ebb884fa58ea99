import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics: one registry per process (web and worker processes are scraped
 * separately), default process metrics, and the product's own series. Labels never carry ids or secrets:
 * channels, sources, queues, providers, endpoints (templated paths), statuses and outcomes only.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Histogram<'method' | 'route' | 'status'>;
  providerCalls: Histogram<'provider' | 'method' | 'endpoint' | 'outcome'>;
  queueJobs: Gauge<'queue' | 'state'>;
  inboxEvents: Gauge<'status'>;
  /** Pushes by source and outcome: accepted (stored), duplicate (already held), rejected (4xx). */
  inboxReceived: Counter<'source' | 'outcome'>;
  jobDuration: Histogram<'queue' | 'outcome'>;
  orders: Gauge<'channel' | 'status'>;
  orderProcessing: Histogram<'channel'>;
  orderShipping: Histogram<'channel'>;
  orderDelivery: Histogram<'channel'>;
  orderCancellations: Counter<'channel' | 'reason_class'>;
  orderValue: Histogram<'channel' | 'currency'>;
}

const HOUR = 3600;
const orderDurationBuckets = [
  60,
  300,
  900,
  1800,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  12 * HOUR,
  24 * HOUR,
  72 * HOUR,
  168 * HOUR,
];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ordergate_' });
  const registers = [registry];
  const duration = (name: string, help: string) =>
    new Histogram({ name, help, labelNames: ['channel'], buckets: orderDurationBuckets, registers });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'ordergate_http_request_duration_seconds',
      help: 'Gateway requests by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    providerCalls: new Histogram({
      name: 'ordergate_provider_call_duration_seconds',
      help: 'Outbound provider HTTP attempts by provider, endpoint (templated path) and outcome (HTTP status, timeout, network)',
      labelNames: ['provider', 'method', 'endpoint', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueJobs: new Gauge({
      name: 'ordergate_queue_jobs',
      help: 'BullMQ jobs per queue and state, read at scrape time',
      labelNames: ['queue', 'state'],
      registers,
    }),
    inboxEvents: new Gauge({
      name: 'ordergate_inbox_events',
      help: 'Inbox events that are not processed yet or need a person, read at scrape time',
      labelNames: ['status'],
      registers,
    }),
    inboxReceived: new Counter({
      name: 'ordergate_inbox_received_total',
      help: 'Pushes received by source and outcome (accepted, duplicate, rejected)',
      labelNames: ['source', 'outcome'],
      registers,
    }),
    jobDuration: new Histogram({
      name: 'ordergate_job_duration_seconds',
      help: 'Time a worker spent on a job, by queue and outcome (completed, failed)',
      labelNames: ['queue', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    orders: new Gauge({
      name: 'ordergate_orders',
      help: 'Orders by channel and status, read at scrape time: open statuses counted, finished ones estimated from planner statistics',
      labelNames: ['channel', 'status'],
      registers,
    }),
    orderProcessing: duration('ordergate_order_processing_duration_seconds', 'From creation to shipped'),
    orderShipping: duration('ordergate_order_shipping_duration_seconds', 'From shipped to delivered'),
    orderDelivery: duration('ordergate_order_delivery_duration_seconds', 'From creation to delivered'),
    orderCancellations: new Counter({
      name: 'ordergate_order_cancellations_total',
      help: 'Orders cancelled, by channel and who cancelled them (operator, channel, deadline, system)',
      labelNames: ['channel', 'reason_class'],
      registers,
    }),
    orderValue: new Histogram({
      name: 'ordergate_order_value_minor_units',
      help: "Created orders' totals in minor units of their currency, by channel and currency",
      labelNames: ['channel', 'currency'],
      buckets: [
        100, 500, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000, 5_000_000, 10_000_000,
        100_000_000,
      ],
      registers,
    }),
  };
}

/**
 * A provider path as an endpoint label: segments that look like ids (a digit, or longer than 24 characters)
 * become `:id`, so an order number or outlet id never becomes a label value.
 */
export function endpointLabel(path: string): string {
  return path
    .split('/')
    .map((segment) => (/\d/.test(segment) || segment.length > 24 ? ':id' : segment))
    .join('/');
}

/** Who cancelled an order, as a small fixed set of classes, from the command's actor. */
export function cancellationClass(actor: string): 'operator' | 'deadline' | 'channel' | 'system' {
  if (actor === 'admin' || actor.startsWith('admin:') || actor.startsWith('operator')) return 'operator';
  if (actor.includes('deadline')) return 'deadline';
  if (['worker', 'reconciliation', 'system', 'test'].includes(actor)) return 'system';
  return 'channel';
}
