import { sql } from 'kysely';
import type { Order } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { type CustomerUpserts, customerUpsertCtes, planCustomers } from './customers.js';
import type { Trx } from './locks.js';
import { sumMinor } from './money.js';
import { type CreateOrderInput, isActive, lineTotal } from './order-input.js';
import type { OutboxMessage } from './outbox.js';
import { planReservations, type Shortage, StockShortageError, stockReservationCtes } from './stock.js';
import { type TimelineEntry, timelineRow } from './timeline.js';

/** An order about to be inserted: its id and number are made before the statement. */
export interface NewOrder {
  id: string;
  input: CreateOrderInput;
  orderNumber: string;
}

/** One order's stock reservation in its warehouse. */
interface Reservation {
  orderId: string;
  warehouseCode: string;
  lines: { sku: string; quantity: number }[];
}

/**
 * The orders with their customers, items, channel statuses, timeline, stock reservations and `outbox`
 * messages, in one statement: data-modifying CTEs, whose foreign keys are checked at the statement's end.
 * The ids are made by the caller, so every row that names its order goes in beside it. A shortage of stock
 * anywhere fails the statement's transaction with StockShortageError.
 */
export async function insertOrders(
  trx: Trx,
  entries: readonly NewOrder[],
  outbox: readonly OutboxMessage[],
): Promise<Order[]> {
  if (entries.length === 0) return [];
  const customers = planCustomers(
    entries.map(({ input }) =>
      input.customer ? { channel: input.channel, customer: input.customer } : undefined,
    ),
  );
  const reservations = entries.map(reservationOf);
  const rows = await writeOrders(trx, customers, {
    orders: orderRows(entries, customers),
    items: itemRows(entries),
    channelStatuses: channelStatusRows(entries),
    timeline: creationTimeline(entries, reservations).map(timelineRow),
    outbox: outbox.map((m) => ({ order_id: m.orderId ?? null, topic: m.topic, payload: m.payload })),
    stock: reservations.filter((r) => r !== undefined),
  });
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

/** The `orders` rows, with their totals worked out and each customer named by its (kind, key). */
function orderRows(entries: readonly NewOrder[], customers: CustomerUpserts) {
  return entries.map(({ id, input, orderNumber }, n) => {
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
}

/** The `order_items` rows, numbered from 1 within each order. */
function itemRows(entries: readonly NewOrder[]) {
  return entries.flatMap(({ id, input }) =>
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
}

/**
 * The channel status each order was created with, as `recordChannelStatus` (applied, no note) would record
 * it, minus its update: the order row goes in with that channel status already.
 */
function channelStatusRows(entries: readonly NewOrder[]) {
  return entries.flatMap(({ id, input }) =>
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
}

/** An order's reservation: its active lines that reserve, in its warehouse (undefined without one). */
function reservationOf({ id, input }: NewOrder): Reservation | undefined {
  if (!input.warehouseCode) return undefined;
  return {
    orderId: id,
    warehouseCode: input.warehouseCode,
    lines: input.items
      .filter((item) => isActive(item) && item.reserve !== false)
      .map((item) => ({ sku: item.sku, quantity: item.quantity })),
  };
}

/**
 * The creations' timeline entries, each order's in this order (a reservation that fails rolls them back
 * with everything else).
 */
function creationTimeline(
  entries: readonly NewOrder[],
  reservations: readonly (Reservation | undefined)[],
): TimelineEntry[] {
  return entries.flatMap(({ id: orderId, input, orderNumber }, n): TimelineEntry[] => {
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
}

/** Every table's rows of one batch of creations. */
interface CreationRows {
  orders: ReturnType<typeof orderRows>;
  items: ReturnType<typeof itemRows>;
  channelStatuses: ReturnType<typeof channelStatusRows>;
  timeline: ReturnType<typeof timelineRow>[];
  outbox: { order_id: string | null; topic: string; payload: Record<string, unknown> }[];
  stock: Reservation[];
}

/**
 * The one statement. Each table's rows go in as one JSON document (the statement text is the same for any
 * batch); `with ordinality` keeps the timeline's and the outbox's ids in the order given. An order's
 * customer is the upserted one of its (kind, channel, key).
 */
async function writeOrders(trx: Trx, customers: CustomerUpserts, rows: CreationRows) {
  const stock = planReservations(rows.stock);
  const result = await sql<Order & { stock_shortages: Shortage[] }>`
    with ${customerUpsertCtes(customers)}, ${stockReservationCtes(stock, { after: 'customers_upserted' })},
    inserted as (
      insert into orders (id, order_number, channel, external_order_id, status, channel_status,
        payment_status, currency, subtotal, discount_total, shipping_total, tax_total, total, customer_id,
        warehouse_code, external_refs, attributes)
      select r.id, r.order_number, r.channel, r.external_order_id, r.status, r.channel_status,
        r.payment_status, r.currency, r.subtotal, r.discount_total, r.shipping_total, r.tax_total, r.total,
        c.id, r.warehouse_code, r.external_refs, r.attributes
      from jsonb_to_recordset(${JSON.stringify(rows.orders)}::jsonb) as r(id uuid, order_number text,
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
      select * from jsonb_to_recordset(${JSON.stringify(rows.items)}::jsonb) as r(order_id uuid,
        line_no integer, external_id text, sku text, name text, quantity integer, weight_grams integer,
        pricing_type text, unit_price bigint, total_price bigint, tax_rate_bp integer, status text,
        metadata jsonb)
    ), channel_statuses as (
      insert into order_channel_statuses (order_id, channel_status, applied, note, event_id, occurred_at)
      select * from jsonb_to_recordset(${JSON.stringify(rows.channelStatuses)}::jsonb) as r(order_id uuid,
        channel_status text, applied boolean, note text, event_id uuid, occurred_at timestamptz)
    ), timeline as (
      insert into order_events (order_id, type, actor, message, from_status, to_status, metadata)
      select r.order_id, r.type, r.actor, r.message, r.from_status, r.to_status, r.metadata
      from rows from (jsonb_to_recordset(${JSON.stringify(rows.timeline)}::jsonb) as (order_id uuid,
        type text, actor text, message text, from_status text, to_status text, metadata jsonb))
        with ordinality as r(order_id, type, actor, message, from_status, to_status, metadata, n)
      order by r.n
    ), outbox_written as (
      insert into outbox (order_id, topic, payload)
      select r.order_id, r.topic, r.payload
      from rows from (jsonb_to_recordset(${JSON.stringify(rows.outbox)}::jsonb) as (order_id uuid,
        topic text, payload jsonb)) with ordinality as r(order_id, topic, payload, n)
      order by r.n
    )
    select inserted.*, (select coalesce(json_agg(s order by s.sku), '[]'::json) from stock_shortages s)
      as stock_shortages
    from inserted`.execute(trx);
  return result.rows;
}
