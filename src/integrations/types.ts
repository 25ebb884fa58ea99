import type { Job, Queue } from 'bullmq';
import type { Hono } from 'hono';
import type { RawBuilder } from 'kysely';
import type { Config } from '../config.js';
import type { Db, Executor } from '../db/index.js';
import type { InboundEvent, Order } from '../db/schema.js';
import type { AppEnv, RouteDeps } from '../http/env.js';
import type { IngestInput, IngestResult } from '../inbox/ingest.js';
import type { Settled } from '../lib/coalesce.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Trx } from '../orders/locks.js';
import type { OrderStatus, PaymentStatus } from '../orders/status.js';
import type { OutboundJob, Queues } from '../queues/index.js';

/** What workers hand to integration code. */
export interface WorkerContext {
  config: Config;
  db: Db;
  queues: Queues;
  logger: Logger;
  ingest(input: IngestInput): Promise<IngestResult>;
}

export type HandlerResult =
  | { status: 'processed'; outcome?: string; orderId?: string }
  /** Stored and understood, but a person must look (unknown status, unmapped store, ...). Not retried. */
  | { status: 'attention'; outcome: string; orderId?: string };

/**
 * What a processor may say about a call that did not throw. `sent: false` means the message was completed
 * without being delivered (e.g. the destination is not configured) and the timeline says so.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: processors that have nothing to say return Promise<void>.
export type OutboundResult = void | { sent: boolean; message?: string };

/**
 * What the outbox relay does with a message that is a hand-off to one of our own queues rather than a call
 * to a provider: add `job` (its id makes a second relay of the row a no-op) or, `sent: false`, nothing, and
 * the timeline says why.
 */
export type Publication =
  | { sent: true; message: string; job: { queue: Queue; name: string; data: unknown; jobId: string } }
  | { sent: false; message: string };

/**
 * Turns an outbox message into its publication; throws when the payload is not one it can publish. Returns
 * undefined when the message needs its outbound job after all (the topic's processor has a provider to call).
 */
export type Publisher = (
  ctx: Pick<WorkerContext, 'config' | 'queues'>,
  message: { outboxId: number; orderId: string | null; payload: unknown },
) => Publication | undefined;

export type OutboundProcessor = (
  ctx: WorkerContext,
  job: OutboundJob,
  bullJob: Job<OutboundJob>,
) => Promise<OutboundResult>;
export type MaintenanceProcessor = (
  ctx: WorkerContext,
  data: Record<string, unknown>,
  job: Job,
) => Promise<unknown>;

export const orderActionNames = [
  'dispatch',
  'cancel',
  'refund',
  'accept',
  'reject',
  'ready',
  'resolve',
] as const;
export type OrderActionName = (typeof orderActionNames)[number];

/**
 * A merchant/operator decision on an order, run by the admin API inside one transaction holding the order
 * row. The integration enforces its channel's rules (throwing RuleViolation → 409) and records the outbox
 * messages that tell the provider.
 */
export type OrderAction = (
  trx: Trx,
  order: Order,
  body: unknown,
  ctx: { actor: string; config: Config },
) => Promise<Order>;

export interface Schedule {
  name: string;
  /** Cron pattern or interval in ms. */
  pattern?: string;
  every?: number;
  data?: Record<string, unknown>;
}

/** A reconciliation finding: how many rows are in the state, and a sample of their ids for the operator. */
export interface Finding {
  count: number;
  sample: string[];
}

/** The order states a stuck-order threshold can apply to: the ones an order is meant to leave. */
export type OpenOrderStatus = 'pending' | 'confirmed' | 'processing' | 'shipped';

/**
 * A check of the channel's own, run by every reconciliation run inside its read-only snapshot. Orders whose
 * finding an operator acknowledged must be left out (`notAcknowledged`). What `repair` does not repair
 * becomes an intervention.
 */
export interface ChannelCheck {
  /** What a found order means, for the operator (the intervention's summary). */
  describe: string;
  find(
    db: Executor,
    ctx: { config: Config; notAcknowledged: (check: string) => RawBuilder<boolean> },
  ): Promise<Finding>;
  /** A safe repair of found orders (re-enqueue a lost job, re-send to the provider); returns those repaired. */
  repair?(ctx: WorkerContext, orderIds: readonly string[]): Promise<string[]>;
}

/** What a channel declares to reconciliation about its orders. */
export interface ChannelReconciliation {
  /**
   * Payment status × order status combinations that are normal on this channel (GoFood: an order cancelled
   * but paid, the money goes to the merchant). The payment consistency checks report only the others.
   */
  expectedPaymentStates?: readonly { status: OrderStatus; paymentStatus: PaymentStatus }[];
  /** How long (ms) an order may stay in a state before it is reported stuck; the defaults apply otherwise. */
  stuckAfterMs?: Partial<Record<OpenOrderStatus, number>>;
  /**
   * The channel ships its orders itself and records each shipment in `order_shipments` (its `delivered_at`
   * once delivered): shipped orders without one, and delivered ones without a delivery date, are reported.
   * Marketplaces whose own drivers deliver do not.
   */
  recordsShipments?: boolean;
  /** The channel's own checks, keyed by the finding's name in the report. */
  checks?: Record<string, ChannelCheck>;
}

/**
 * What the integration contract suite needs to exercise an integration's push endpoint: every integration
 * that accepts pushes describes one, and the suite then checks it like every other (wrong or missing
 * credentials → 401 and nothing stored; the same push twice → one event; a malformed body → 400).
 */
export interface PushContract {
  /** The endpoint the provider pushes to (POST). */
  path: string;
  /** The settings the endpoint needs to accept pushes, with values for a test system. */
  testEnv: Record<string, string>;
  /** The raw body of a valid push; a different `n` is a different event. */
  sampleBody(n: number): string;
  /** Headers that authorise `rawBody` under `config` (a signature, a bearer token, an idempotency key). */
  authorise(rawBody: string, config: Config): Record<string, string>;
  /** Headers of the right shape whose credential is wrong. */
  forge(rawBody: string, config: Config): Record<string, string>;
}

/** Everything about one external system. A new marketplace is a new folder exporting one of these. */
export interface Integration {
  /** The inbox `source` and the orders' `channel`. */
  source: string;
  /** Turns one inbox event into order commands. Runs at least once: must be idempotent. */
  handleEvent(ctx: WorkerContext, event: InboundEvent): Promise<HandlerResult>;
  /**
   * Optional: several events at once (the worker's concurrent jobs), e.g. to create many orders in one
   * transaction. Returns one outcome per event, in order; an event it cannot batch it runs through
   * `handleEvent`. When it throws, the worker falls back to `handleEvent` for each event.
   */
  handleEvents?(ctx: WorkerContext, events: readonly InboundEvent[]): Promise<Settled<HandlerResult>[]>;
  /** Mounts the integration's own endpoints (inbound webhooks, its admin settings). */
  registerRoutes?(app: Hono<AppEnv>, deps: RouteDeps): void;
  /** Outbox topics this integration delivers (provider API calls), keyed by topic. */
  outbound?: Record<string, OutboundProcessor>;
  /**
   * Outbox topics that only hand the message to one of our own queues, or that have nowhere to go: the relay
   * settles them itself, in the pass that claims the row, instead of going through an outbound job (keyed by
   * topic). A topic may be in both maps: its publisher hands the message back when the job is needed.
   */
  published?: Record<string, Publisher>;
  /** Maintenance job names (delayed deadlines, recovery, reconciliation), keyed by job name. */
  maintenance?: Record<string, MaintenanceProcessor>;
  schedules?: Schedule[];
  /**
   * Called by every reconciliation run (cron or on demand) with the window it covers, e.g. to recover orders
   * whose push never arrived. Returns a summary for the run's report; a non-empty `failures: string[]` in it,
   * or throwing, marks the run failed.
   */
  reconcile?(ctx: WorkerContext, window: { since: Date; until: Date }): Promise<Record<string, unknown>>;
  /** What reconciliation should expect of the channel's orders, and its own checks. */
  reconciliation?: ChannelReconciliation;
  /** Channel-specific order actions; absent ones fall back to the core behaviour or 409. */
  orderActions?: Partial<Record<OrderActionName, OrderAction>>;
  /** How the contract suite pushes to this integration; required of every integration with a push endpoint. */
  contract?: PushContract;
}

/** `handleEvent` of an outbound-only integration (delivery, subscribers): an inbound event for it is dead at once. */
export function refuseInboundEvents(name: string): Integration['handleEvent'] {
  return () => {
    throw new AppError('validation_failed', `the ${name} integration receives no inbound events`, {
      retryable: false,
    });
  };
}
