import { randomUUID } from 'node:crypto';
import { sql, type Transaction, type Updateable } from 'kysely';
import type { Db, Executor } from '../db/index.js';
import type { Database, Order, OrdersTable } from '../db/schema.js';
import { AppError, RuleViolation, sqlState } from '../lib/errors.js';
import { type CustomerInput, customerUpsertCtes, planCustomers } from './customers.js';
import { causeKeys, openIntervention, resolveInterventionByCause } from './interventions.js';
import { sumMinor } from './money.js';
import { observeCreated, observeTransition } from './observe.js';
import { allocateOrderNumber } from './order-number.js';
import { enqueueOutboxMany, type OutboxMessage } from './outbox.js';
import {
  canTransition,
  isOrderStatus,
  type OrderStatus,
  type PaymentStatus,
  paymentStatuses,
  transitionPath,
} from './status.js';
import {
  commitStock,
  planReservations,
  releaseStock,
  type Shortage,
  StockShortageError,
  stockReservationCtes,
} from './stock.js';
import { addTimelineEvent, type TimelineEntry, timelineRow } from './timeline.js';

export type Trx = Transaction<Database>;

export class IllegalTransitionError extends AppError {
  constructor(from: string, to: string, orderId: string) {
    super('illegal_transition', `order cannot move from ${from} to ${to}`, {
      details: { orderId, from, to },
      retryable: false,
    });
    this.name = 'IllegalTransitionError';
  }
}

/** The order changed since the caller read it (it did not hold the order's lock): reload and retry. */
function staleOrderError(orderId: string): AppError {
  return new AppError('conflict', 'the order changed while this command ran; reload it and retry', {
    details: { orderId },
    retryable: true,
  });
}

export interface OrderItemInput {
  sku: string;
  name: string;
  quantity: number;
  /** Minor units per unit (or per kg for `pricingType: 'kg'`). */
  unitPrice: number;
  /** Minor units; defaults to unitPrice × quantity. */
  totalPrice?: number;
  pricingType?: 'unit' | 'kg';
  weightGrams?: number | null;
  taxRateBp?: number | null;
  externalId?: string | null;
  /** Item status as the channel knows it (e.g. IN_CART, NOT_FOUND); `active` by default. */
  status?: string;
  /** Reserve stock for this line (default true when the order has a warehouse). */
  reserve?: boolean;
  metadata?: Record<string, unknown>;
}

export interface CreateOrderInput {
  channel: string;
  externalOrderId: string;
  status?: OrderStatus;
  channelStatus?: string | null;
  paymentStatus?: PaymentStatus;
  currency: string;
  customer?: CustomerInput;
  items: OrderItemInput[];
  totals?: { subtotal?: number; discount?: number; shipping?: number; tax?: number; total?: number };
  warehouseCode?: string | null;
  externalRefs?: Record<string, string>;
  attributes?: Record<string, unknown>;
  actor: string;
  /** The inbox event that caused the creation, for the audit trail. */
  eventId?: string;
  occurredAt?: Date | null;
}

export interface CreateOrderResult {
  order: Order;
  created: boolean;
}

/**
 * Serialises every command on one external order: a transaction-scoped advisory lock on (channel, external
 * id). Two first events for the same order therefore never race to create it; the unique constraint on
 * (channel, external_order_id) is the backstop.
 */
export async function lockExternalOrder(
  trx: Executor,
  channel: string,
  externalOrderId: string,
): Promise<void> {
  await lockExternalOrders(trx, [externalKey(channel, externalOrderId)]);
}

/** Runs `fn` in one transaction holding the external order's lock. */
export function withOrderLock<T>(
  db: Db,
  channel: string,
  externalOrderId: string,
  fn: (trx: Trx) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await lockExternalOrder(trx, channel, externalOrderId);
    return fn(trx);
  });
}

export function findOrderByExternalId(
  db: Executor,
  channel: string,
  externalOrderId: string,
  forUpdate = false,
): Promise<Order | undefined> {
  let query = db
    .selectFrom('orders')
    .selectAll()
    .where('channel', '=', channel)
    .where('external_order_id', '=', externalOrderId);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export function findOrderById(db: Executor, id: string, forUpdate = false): Promise<Order | undefined> {
  let query = db.selectFrom('orders').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function getOrderForUpdate(trx: Executor, id: string): Promise<Order> {
  const order = await findOrderById(trx, id, true);
  if (!order) throw new AppError('not_found', 'order not found', { details: { orderId: id } });
  return order;
}

/** A line's total in minor units: the channel's own total, else unit price × quantity. */
export function lineTotal(item: OrderItemInput): number {
  return item.totalPrice ?? item.unitPrice * item.quantity;
}

export interface CreateOrderOptions {
  /**
   * The caller has just looked the order up and found none, so the pre-transaction lookup is skipped. A
   * concurrent creation still returns the existing order with `created: false`: its row makes the insert fail
   * on the unique key, and the transaction runs again with a lookup under the order lock.
   */
  existenceChecked?: boolean;
}

/** What is known of an order before its insert: enough to name it in an outbox message. */
export type NewOrderRef = Pick<Order, 'id' | 'order_number' | 'channel' | 'external_order_id' | 'status'>;

export interface CreateOrderRequest {
  input: CreateOrderInput;
  /**
   * The order's number when the caller allocated it already (`allocateOrderNumber`, e.g. beside its own
   * lookups); a number its order then does not use is a gap, as with any sequence.
   */
  orderNumber?: string;
  /**
   * Runs inside the transaction after the order exists (channel-specific records, outbox messages). It may run
   * twice (a transaction that lost a race is run again), so it writes through `trx` only.
   */
  inTx?: (trx: Trx, order: Order) => Promise<void>;
  /**
   * Outbox messages for the new order, after any `inTx` wrote: when no request of the batch has an `inTx`
   * they go in the statement that creates the orders, else in one insert after every `inTx`.
   */
  outbox?: (order: NewOrderRef) => OutboxMessage[];
}

/** The lock and lookup key of one external order. */
function externalKey(channel: string, externalOrderId: string): string {
  return `${channel.length}:${channel}:${externalOrderId}`;
}

/** Orders by (channel, external order id), in one statement. */
export function findOrdersByExternalIds(
  db: Executor,
  keys: readonly { channel: string; externalOrderId: string }[],
): Promise<Order[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('orders')
    .selectAll()
    .where(
      sql<boolean>`(channel, external_order_id) in (select * from unnest(${keys.map((k) => k.channel)}::text[], ${keys.map((k) => k.externalOrderId)}::text[]))`,
    )
    .execute();
}

/**
 * Creates customer, order, items and stock reservation in one transaction, idempotent on (channel, external
 * order id): a second call returns the existing order with `created: false`. `inTx` runs inside the same
 * transaction after the order exists (outbox messages, channel-specific records).
 */
export async function createOrder(
  db: Db,
  input: CreateOrderInput,
  inTx?: (trx: Trx, order: Order) => Promise<void>,
  options: CreateOrderOptions = {},
): Promise<CreateOrderResult> {
  const [result] = await createOrders(db, [inTx ? { input, inTx } : { input }], options);
  if (!result) throw new Error('createOrders returned no result');
  return result;
}

/**
 * `createOrder` for several orders in one transaction of a fixed number of statements (the lock, then one
 * statement writing every table: `insertOrders`), which is what lets a worker keep up with a marketplace's
 * rush: the orders' external locks are taken in one statement in a fixed order (two batches never deadlock),
 * every order's stock is locked and checked together, and a shortage anywhere fails the whole batch with
 * StockShortageError (the caller then decides order by order). Results are in request order; an order that
 * already existed, or appears twice in the batch, comes back with `created: false`.
 */
export async function createOrders(
  db: Db,
  requests: readonly CreateOrderRequest[],
  options: CreateOrderOptions = {},
): Promise<CreateOrderResult[]> {
  const results: (CreateOrderResult | undefined)[] = requests.map(() => undefined);
  const keyOf = (input: CreateOrderInput) => externalKey(input.channel, input.externalOrderId);
  const keysOf = (list: readonly { input: CreateOrderInput }[]) =>
    list.map(({ input }) => ({ channel: input.channel, externalOrderId: input.externalOrderId }));
  const answerExisting = <P extends { i: number; input: CreateOrderInput }>(
    pending: P[],
    existing: Order[],
  ) => {
    const byKey = new Map(existing.map((o) => [externalKey(o.channel, o.external_order_id), o]));
    return pending.filter(({ i, input }) => {
      const order = byKey.get(keyOf(input));
      if (order) results[i] = { order, created: false };
      return !order;
    });
  };

  let pending = requests.map((request, i) => ({ i, input: request.input, request }));
  if (!options.existenceChecked)
    pending = answerExisting(pending, await findOrdersByExternalIds(db, keysOf(pending)));
  if (pending.length > 0) {
    // Allocated before the transaction (one coalesced statement) so the day's counter row is locked for one
    // statement only; a caller may have allocated them already, beside its own lookups.
    const numbered = await Promise.all(
      pending.map(async (p) => ({
        ...p,
        orderNumber: p.request.orderNumber ?? (await allocateOrderNumber(db)),
      })),
    );
    // The orders were looked up just before (here or by the caller), so the creation goes ahead under the
    // lock without looking again; an order created meanwhile makes the insert fail on the unique key, and
    // the transaction runs once more, looking under the lock this time.
    const createUnderLock = (lookUnderLock: boolean) =>
      db.transaction().execute(async (trx) => {
        await lockExternalOrders(
          trx,
          numbered.map(({ input }) => keyOf(input)),
        );
        const fresh = lookUnderLock
          ? answerExisting(numbered, await findOrdersByExternalIds(trx, keysOf(numbered)))
          : numbered;
        const firsts = new Map<string, (typeof fresh)[number]>();
        for (const entry of fresh) if (!firsts.has(keyOf(entry.input))) firsts.set(keyOf(entry.input), entry);
        const creating = [...firsts.values()].map((entry) => ({ ...entry, id: randomUUID() }));
        // Without `inTx` callbacks nothing has to be written between the orders and their outbox messages.
        const outboxInline = creating.every(({ request }) => !request.inTx);
        const orders = await insertOrders(
          trx,
          creating,
          outboxInline
            ? creating.flatMap(({ id, input, orderNumber, request }) =>
                request.outbox ? request.outbox(newOrderRef(id, orderNumber, input)) : [],
              )
            : [],
        );
        creating.forEach(({ i }, n) => {
          const order = orders[n];
          if (order) results[i] = { order, created: true };
        });
        if (!outboxInline) {
          for (const { i, request } of creating) {
            const order = results[i]?.order;
            if (order && request.inTx) await request.inTx(trx, order);
          }
          await enqueueOutboxMany(
            trx,
            creating.flatMap(({ i, request }) => {
              const order = results[i]?.order;
              return order && request.outbox ? request.outbox(order) : [];
            }),
          );
        }
        // The same external order twice in one batch: the later requests get the order the first created.
        for (const { i, input } of fresh) {
          const first = firsts.get(keyOf(input));
          const order = first ? results[first.i]?.order : undefined;
          if (first && first.i !== i && order) results[i] = { order, created: false };
        }
      });
    try {
      await createUnderLock(false);
    } catch (err) {
      if (sqlState(err) !== '23505') throw err;
      for (const { i } of numbered) results[i] = undefined;
      await createUnderLock(true);
    }
  }
  return results.map((result) => {
    if (!result) throw new Error('an order of the batch was neither created nor found');
    if (result.created) observeCreated(result.order);
    return result;
  });
}

function newOrderRef(id: string, orderNumber: string, input: CreateOrderInput): NewOrderRef {
  return {
    id,
    order_number: orderNumber,
    channel: input.channel,
    external_order_id: input.externalOrderId,
    status: input.status ?? 'pending',
  };
}

/** The external orders' advisory locks in one statement, in hash order so that batches never deadlock. */
async function lockExternalOrders(trx: Executor, keys: readonly string[]): Promise<void> {
  await sql`
    select pg_advisory_xact_lock(h)
    from (select distinct hashtextextended(k, 0) as h from unnest(${keys}::text[]) as k order by 1) as locks`.execute(
    trx,
  );
}

/**
 * The orders with their customers, items, channel statuses, timeline, stock reservations and `outbox`
 * messages, in one statement: data-modifying CTEs, whose foreign keys are checked at the statement's end.
 * The ids are made by the caller, so every row that names its order goes in beside it.
 */
async function insertOrders(
  trx: Trx,
  entries: readonly { id: string; input: CreateOrderInput; orderNumber: string }[],
  outbox: readonly OutboxMessage[],
): Promise<Order[]> {
  if (entries.length === 0) return [];
  const customers = planCustomers(
    entries.map(({ input }) =>
      input.customer ? { channel: input.channel, customer: input.customer } : undefined,
    ),
  );
  const orderRows = entries.map(({ id, input, orderNumber }, n) => {
    const subtotal = input.totals?.subtotal ?? sumMinor(input.items.filter(isActive).map(lineTotal));
    const discount = input.totals?.discount ?? 0;
    const shipping = input.totals?.shipping ?? 0;
    const tax = input.totals?.tax ?? 0;
    const total = input.totals?.total ?? subtotal - discount + shipping;
    if (!Number.isSafeInteger(total) || total < 0) {
      throw new AppError('validation_failed', 'order total must be a non-negative integer in minor units', {
        details: { total },
        retryable: false,
      });
    }
    return {
      id,
      order_number: orderNumber,
      channel: input.channel,
      external_order_id: input.externalOrderId,
      status: input.status ?? 'pending',
      channel_status: input.channelStatus ?? null,
      payment_status: input.paymentStatus ?? 'pending',
      currency: input.currency.toUpperCase(),
      subtotal,
      discount_total: discount,
      shipping_total: shipping,
      tax_total: tax,
      total,
      customer_kind: customers.refs[n]?.kind ?? null,
      customer_key: customers.refs[n]?.key ?? null,
      warehouse_code: input.warehouseCode ?? null,
      external_refs: input.externalRefs ?? {},
      attributes: input.attributes ?? {},
    };
  });
  const itemRows = entries.flatMap(({ id, input }) =>
    input.items.map((item, index) => ({
      order_id: id,
      line_no: index + 1,
      external_id: item.externalId ?? null,
      sku: item.sku,
      name: item.name,
      quantity: item.quantity,
      weight_grams: item.weightGrams ?? null,
      pricing_type: item.pricingType ?? 'unit',
      unit_price: item.unitPrice,
      total_price: lineTotal(item),
      tax_rate_bp: item.taxRateBp ?? null,
      status: item.status ?? 'active',
      metadata: item.metadata ?? {},
    })),
  );
  // recordChannelStatus(applied, no note) minus its update: the row was inserted with this channel status.
  const channelRows = entries.flatMap(({ id, input }) =>
    input.channelStatus
      ? [
          {
            order_id: id,
            channel_status: input.channelStatus,
            applied: true,
            note: null,
            event_id: input.eventId ?? null,
            occurred_at: input.occurredAt ?? null,
          },
        ]
      : [],
  );
  // Each order's reservation (undefined without a warehouse), by position.
  const reservations = entries.map(({ id, input }) =>
    input.warehouseCode
      ? {
          orderId: id,
          warehouseCode: input.warehouseCode,
          lines: input.items
            .filter((item) => isActive(item) && item.reserve !== false)
            .map((item) => ({ sku: item.sku, quantity: item.quantity })),
        }
      : undefined,
  );
  // The creations' timeline entries, each order's in this order (a reservation that fails below rolls
  // them back with everything else).
  const timeline = entries.flatMap(({ id: orderId, input, orderNumber }, n): TimelineEntry[] => {
    const entry: TimelineEntry[] = [
      {
        orderId,
        type: 'created',
        actor: input.actor,
        toStatus: input.status ?? 'pending',
        message: `order ${orderNumber} created from ${input.channel} order ${input.externalOrderId}`,
        metadata: {
          eventId: input.eventId ?? null,
          channelStatus: input.channelStatus ?? null,
          items: input.items.length,
        },
      },
    ];
    const reserved = reservations[n];
    if (reserved && reserved.lines.length > 0) {
      entry.push({
        orderId,
        type: 'stock_reserved',
        actor: input.actor,
        message: `reserved ${reserved.lines.length} line(s) in warehouse ${reserved.warehouseCode}`,
        metadata: { warehouse: reserved.warehouseCode, lines: reserved.lines },
      });
    }
    return entry;
  });
  const timelineRows = timeline.map(timelineRow);

  const outboxRows = outbox.map((m) => ({ order_id: m.orderId ?? null, topic: m.topic, payload: m.payload }));
  const stock = planReservations(reservations.filter((r) => r !== undefined));

  // Each table's rows go in as one JSON document (the statement text is the same for any batch); `with
  // ordinality` keeps the timeline's and the outbox's ids in the order given. An order's customer is the
  // upserted one of its (kind, channel, key).
  const { rows } = await sql<Order & { stock_shortages: Shortage[] }>`
    with ${customerUpsertCtes(customers)}, ${stockReservationCtes(stock, { after: 'customers_upserted' })},
    inserted as (
      insert into orders (id, order_number, channel, external_order_id, status, channel_status,
        payment_status, currency, subtotal, discount_total, shipping_total, tax_total, total, customer_id,
        warehouse_code, external_refs, attributes)
      select r.id, r.order_number, r.channel, r.external_order_id, r.status, r.channel_status,
        r.payment_status, r.currency, r.subtotal, r.discount_total, r.shipping_total, r.tax_total, r.total,
        c.id, r.warehouse_code, r.external_refs, r.attributes
      from jsonb_to_recordset(${JSON.stringify(orderRows)}::jsonb) as r(id uuid, order_number text,
        channel text, external_order_id text, status text, channel_status text, payment_status text,
        currency text, subtotal bigint, discount_total bigint, shipping_total bigint, tax_total bigint,
        total bigint, customer_kind text, customer_key text, warehouse_code text, external_refs jsonb,
        attributes jsonb)
      left join customers_upserted c
        on c.kind = r.customer_kind and c.channel = r.channel and c.key = r.customer_key
      returning *
    ), items as (
      insert into order_items (order_id, line_no, external_id, sku, name, quantity, weight_grams,
        pricing_type, unit_price, total_price, tax_rate_bp, status, metadata)
      select * from jsonb_to_recordset(${JSON.stringify(itemRows)}::jsonb) as r(order_id uuid,
        line_no integer, external_id text, sku text, name text, quantity integer, weight_grams integer,
        pricing_type text, unit_price bigint, total_price bigint, tax_rate_bp integer, status text,
        metadata jsonb)
    ), channel_statuses as (
      insert into order_channel_statuses (order_id, channel_status, applied, note, event_id, occurred_at)
      select * from jsonb_to_recordset(${JSON.stringify(channelRows)}::jsonb) as r(order_id uuid,
        channel_status text, applied boolean, note text, event_id uuid, occurred_at timestamptz)
    ), timeline as (
      insert into order_events (order_id, type, actor, message, from_status, to_status, metadata)
      select r.order_id, r.type, r.actor, r.message, r.from_status, r.to_status, r.metadata
      from rows from (jsonb_to_recordset(${JSON.stringify(timelineRows)}::jsonb) as (order_id uuid,
        type text, actor text, message text, from_status text, to_status text, metadata jsonb))
        with ordinality as r(order_id, type, actor, message, from_status, to_status, metadata, n)
      order by r.n
    ), outbox_written as (
      insert into outbox (order_id, topic, payload)
      select r.order_id, r.topic, r.payload
      from rows from (jsonb_to_recordset(${JSON.stringify(outboxRows)}::jsonb) as (order_id uuid,
        topic text, payload jsonb)) with ordinality as r(order_id, topic, payload, n)
      order by r.n
    )
    select inserted.*, (select coalesce(json_agg(s order by s.sku), '[]'::json) from stock_shortages s)
      as stock_shortages
    from inserted`.execute(trx);
  const shortages = rows[0]?.stock_shortages ?? [];
  if (shortages.length > 0) throw new StockShortageError(shortages);
  const byId = new Map(
    rows.map(({ stock_shortages: _, ...order }) => [order.id, order satisfies Order] as const),
  );
  return entries.map(({ id, input }) => {
    const order = byId.get(id);
    if (!order) throw new Error(`order ${input.externalOrderId} was not returned by its insert`);
    return order;
  });
}

function isActive(item: OrderItemInput): boolean {
  return item.status === undefined || item.status === 'active' || item.status === 'IN_CART';
}

export interface TransitionOptions {
  actor: string;
  reason?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Moves the order to `to` through the transition table, or throws IllegalTransitionError. The caller holds
 * the order row (`getOrderForUpdate`) or the external order lock.
 */
export async function transitionOrder(
  trx: Executor,
  order: Order,
  to: OrderStatus,
  options: TransitionOptions,
): Promise<Order> {
  const from = order.status;
  if (!isOrderStatus(from) || !canTransition(from, to)) throw new IllegalTransitionError(from, to, order.id);
  // Compare-and-set on the status: a caller holding a stale copy (no lock) cannot overwrite a newer status.
  const updated = await trx
    .updateTable('orders')
    .set({ status: to, updated_at: sql`now()` })
    .where('id', '=', order.id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw staleOrderError(order.id);
  await observeTransition(trx, updated, from, to, options.actor);
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: to === 'cancelled' ? 'cancelled' : to === 'refunded' ? 'refunded' : 'status_changed',
    actor: options.actor,
    fromStatus: from,
    toStatus: to,
    message: options.reason ?? `status ${from} → ${to}`,
    metadata: options.metadata ?? {},
  });
  if (to === 'cancelled') {
    const released = await releaseStock(trx, order.id);
    if (released > 0) {
      await addTimelineEvent(trx, {
        orderId: order.id,
        type: 'stock_released',
        actor: options.actor,
        message: `released ${released} reserved line(s)`,
      });
    }
  }
  return updated;
}

/**
 * Walks the shortest legal path to `to`, one timeline entry per step. Throws IllegalTransitionError when
 * `to` cannot be reached from the current status.
 */
export async function advanceOrder(
  trx: Executor,
  order: Order,
  to: OrderStatus,
  options: TransitionOptions,
): Promise<Order> {
  const from = order.status;
  const path = isOrderStatus(from) ? transitionPath(from, to) : undefined;
  if (!path) throw new IllegalTransitionError(from, to, order.id);
  let current = order;
  for (const step of path) current = await transitionOrder(trx, current, step, options);
  return current;
}

export interface ChannelStatusOptions {
  /** Whether the channel status changed our order (false: stale or illegal, recorded only). */
  applied: boolean;
  note?: string;
  eventId?: string | undefined;
  occurredAt?: Date | null;
}

/**
 * Keeps the channel's own status beside the internal one, with its history. A stale or illegal external
 * status is recorded with `applied: false` and a note, never silently dropped.
 */
export async function recordChannelStatus(
  trx: Executor,
  order: Order,
  channelStatus: string,
  options: ChannelStatusOptions,
): Promise<void> {
  await trx
    .insertInto('order_channel_statuses')
    .values({
      order_id: order.id,
      channel_status: channelStatus,
      applied: options.applied,
      note: options.note ?? null,
      event_id: options.eventId ?? null,
      occurred_at: options.occurredAt ?? null,
    })
    .execute();
  if (options.applied) {
    await trx
      .updateTable('orders')
      .set({ channel_status: channelStatus, updated_at: sql`now()` })
      .where('id', '=', order.id)
      .execute();
  }
  if (!options.applied || options.note) {
    await addTimelineEvent(trx, {
      orderId: order.id,
      type: 'channel_status',
      actor: `channel:${order.channel}`,
      message: options.applied
        ? `${order.channel} status ${channelStatus}: ${options.note}`
        : `${order.channel} status ${channelStatus} recorded, not applied: ${options.note ?? 'stale'}`,
      metadata: { channelStatus, applied: options.applied, eventId: options.eventId ?? null },
    });
  }
}

/**
 * Whether `eventId` already left its channel status on the order: a job that ran to its commit but not to
 * marking the inbox row runs again (at-least-once), and must then change nothing.
 */
export async function channelStatusRecorded(
  trx: Executor,
  orderId: string,
  eventId: string,
): Promise<boolean> {
  const row = await trx
    .selectFrom('order_channel_statuses')
    .select('id')
    .where('order_id', '=', orderId)
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Consumes the order's open stock reservations (the goods left the warehouse) and says so on the timeline.
 * Idempotent: nothing is left to commit the second time. Returns the lines committed.
 */
export async function commitOrderStock(
  trx: Executor,
  orderId: string,
  actor: string,
  why?: string,
): Promise<number> {
  const committed = await commitStock(trx, orderId);
  if (committed > 0) {
    await addTimelineEvent(trx, {
      orderId,
      type: 'stock_committed',
      actor,
      message: `committed ${committed} reserved line(s)${why ? `: ${why}` : ''}`,
    });
  }
  return committed;
}

export async function setPaymentStatus(
  trx: Executor,
  order: Order,
  paymentStatus: PaymentStatus,
  options: TransitionOptions,
): Promise<Order> {
  if (order.payment_status === paymentStatus) return order;
  if (!(paymentStatuses as readonly string[]).includes(paymentStatus)) {
    throw new AppError('validation_failed', `unknown payment status ${paymentStatus}`, { retryable: false });
  }
  return changeOrder(
    trx,
    order.id,
    { payment_status: paymentStatus },
    {
      type: 'payment_status_changed',
      actor: options.actor,
      message: options.reason ?? `payment ${order.payment_status} → ${paymentStatus}`,
      metadata: { from: order.payment_status, to: paymentStatus, ...options.metadata },
    },
  );
}

export interface RefundInput extends TransitionOptions {
  /** Minor units. */
  amount: number;
  items?: { sku: string; quantity: number }[];
}

/**
 * Records a refund. A refund of the whole remaining amount moves the order to `refunded` (when the table
 * allows it); a partial one only raises `refundedTotal`.
 */
export async function refundOrder(trx: Executor, order: Order, input: RefundInput): Promise<Order> {
  const remaining = order.total - order.refunded_total;
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new AppError('validation_failed', 'refund amount must be a positive integer in minor units', {
      retryable: false,
    });
  }
  // Only money that was taken can be given back: an unpaid (or failed, or only authorized) order has none.
  if (order.payment_status !== 'paid' && order.payment_status !== 'partially_refunded') {
    throw new RuleViolation(
      'refund_requires_payment',
      `an order whose payment is ${order.payment_status} has nothing to refund`,
      { paymentStatus: order.payment_status },
    );
  }
  if (input.amount > remaining) {
    throw new AppError('conflict', `refund of ${input.amount} exceeds the refundable ${remaining}`, {
      details: { remaining },
      retryable: false,
    });
  }
  const refunded = order.refunded_total + input.amount;
  const full = refunded === order.total;
  const refundedRow = await trx
    .updateTable('orders')
    .set({
      refunded_total: refunded,
      payment_status: full ? 'refunded' : 'partially_refunded',
      updated_at: sql`now()`,
    })
    .where('id', '=', order.id)
    .where('refunded_total', '=', order.refunded_total)
    .returningAll()
    .executeTakeFirst();
  if (!refundedRow) throw staleOrderError(order.id);
  let updated = refundedRow;
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'refunded',
    actor: input.actor,
    message: input.reason ?? (full ? 'full refund' : 'partial refund'),
    metadata: { amount: input.amount, refundedTotal: refunded, items: input.items ?? [], ...input.metadata },
  });
  const status = updated.status;
  if (full && isOrderStatus(status) && canTransition(status, 'refunded')) {
    updated = await transitionOrder(trx, updated, 'refunded', {
      actor: input.actor,
      reason: input.reason ?? 'fully refunded',
    });
  }
  return updated;
}

/**
 * An operator's answer to an attention flag: the flag is cleared and the timeline keeps what it was and what
 * was done. An order that is not flagged is a rule refusal (409), so a second click changes nothing.
 */
export async function resolveAttention(
  trx: Executor,
  order: Order,
  input: { actor: string; note: string },
): Promise<Order> {
  const reason = order.attention_reason;
  if (reason === null) {
    throw new RuleViolation('no_attention', 'order is not flagged for attention', { orderId: order.id });
  }
  const resolved = await changeOrder(
    trx,
    order.id,
    { attention_reason: null },
    {
      type: 'attention_resolved',
      actor: input.actor,
      message: `attention resolved: ${input.note} (was: ${reason})`,
      metadata: { reason, note: input.note },
    },
  );
  await resolveInterventionByCause(trx, causeKeys.orderAttention(order.id), input);
  return resolved;
}

/** Flags an order for an operator; the reason is on the order and its timeline. */
export async function flagAttention(
  trx: Executor,
  order: Order,
  reason: string,
  actor: string,
): Promise<void> {
  await changeOrder(
    trx,
    order.id,
    { attention_reason: reason },
    { type: 'attention', actor, message: reason },
  );
  await openIntervention(trx, {
    source: 'order_attention',
    causeKey: causeKeys.orderAttention(order.id),
    summary: `order ${order.order_number} needs attention: ${reason}`,
    orderId: order.id,
    details: { attentionReason: reason, channel: order.channel },
    actions: ['review_order', 'contact_provider', 'resolve'],
  });
}

/** Sets fields of one order and records the change on its timeline, in the caller's transaction. */
async function changeOrder(
  trx: Executor,
  orderId: string,
  set: Updateable<OrdersTable>,
  entry: Omit<TimelineEntry, 'orderId'>,
): Promise<Order> {
  const updated = await trx
    .updateTable('orders')
    .set({ ...set, updated_at: sql`now()` })
    .where('id', '=', orderId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await addTimelineEvent(trx, { orderId, ...entry });
  return updated;
}
