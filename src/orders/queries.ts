import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Customer, Database, Order, OrderChannelStatus, OrderEvent, OrderItem } from '../db/schema.js';
import type {
  ChannelStatusDto,
  CustomerDto,
  ListedOrderDto,
  OrderDetailDto,
  OrderDto,
  OrderItemDto,
  TimelineDto,
} from './dto.js';
import {
  countOrderItems,
  detailItemsPage,
  firstItemsOfOrders,
  ORDER_DETAIL_ITEMS,
  ORDER_LIST_ITEMS,
  orderItemsPage,
} from './order-items.js';
import type { OrderStatus, PaymentStatus } from './status.js';

export function toCustomerDto(c: Customer): CustomerDto {
  return { id: c.id, externalId: c.external_id, name: c.name, phone: c.phone, email: c.email };
}

export function toItemDto(i: OrderItem): OrderItemDto {
  return {
    lineNo: i.line_no,
    sku: i.sku,
    name: i.name,
    quantity: i.quantity,
    weightGrams: i.weight_grams,
    pricingType: i.pricing_type,
    unitPrice: i.unit_price,
    totalPrice: i.total_price,
    taxRateBp: i.tax_rate_bp,
    status: i.status,
    externalId: i.external_id,
    metadata: i.metadata,
  };
}

export function toOrderDto(o: Order, customer: Customer | undefined, items: OrderItem[]): OrderDto {
  return {
    id: o.id,
    orderNumber: o.order_number,
    channel: o.channel,
    externalOrderId: o.external_order_id,
    status: o.status,
    channelStatus: o.channel_status,
    paymentStatus: o.payment_status,
    currency: o.currency,
    subtotal: o.subtotal,
    discountTotal: o.discount_total,
    shippingTotal: o.shipping_total,
    taxTotal: o.tax_total,
    total: o.total,
    refundedTotal: o.refunded_total,
    warehouseCode: o.warehouse_code,
    externalRefs: o.external_refs,
    attributes: o.attributes,
    attentionReason: o.attention_reason,
    customer: customer ? toCustomerDto(customer) : null,
    items: items.map(toItemDto),
    createdAt: o.created_at.toISOString(),
    updatedAt: o.updated_at.toISOString(),
  };
}

function toTimelineDto(e: OrderEvent): TimelineDto {
  return {
    id: e.id,
    type: e.type,
    fromStatus: e.from_status,
    toStatus: e.to_status,
    actor: e.actor,
    message: e.message,
    metadata: e.metadata,
    createdAt: e.created_at.toISOString(),
  };
}

function toChannelStatusDto(s: OrderChannelStatus): ChannelStatusDto {
  return {
    channelStatus: s.channel_status,
    applied: s.applied,
    note: s.note,
    eventId: s.event_id,
    occurredAt: s.occurred_at ? s.occurred_at.toISOString() : null,
    recordedAt: s.recorded_at.toISOString(),
  };
}

export interface OrderSearch {
  channel?: string | undefined;
  status?: OrderStatus[] | undefined;
  paymentStatus?: PaymentStatus[] | undefined;
  externalOrderId?: string | undefined;
  /** Exact, or a prefix when it ends with `*`. */
  orderNumber?: string | undefined;
  customerId?: string | undefined;
  /** `unshipped` (no shipment yet), `shipped` (on its way) or `delivered`. */
  shippingStatus?: ShippingStatus[] | undefined;
  /**
   * Free text, as customer service has it: a part of the order number or of the customer's name (any case,
   * with or without its accents), the external order id, any external reference (e.g. Yemeksepeti's
   * integrationOrderNumber, a GoFood order number), or the customer's email (any case) or phone, exactly.
   */
  q?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  minTotal?: number | undefined;
  maxTotal?: number | undefined;
  page: number;
  limit: number;
}

export const shippingStatuses = ['unshipped', 'shipped', 'delivered'] as const;
export type ShippingStatus = (typeof shippingStatuses)[number];

/**
 * Past this many matching orders `total` is the planner's estimate, not an exact count: counting every
 * match of an unselective filter over millions of orders would cost more than the page itself.
 */
export const EXACT_TOTAL_LIMIT = 1_000;

/** The filtered `orders` query of an admin search (no select list, order or page): shared by page, count and EXPLAIN. */
export function orderSearchQuery(db: Executor, search: Omit<OrderSearch, 'page' | 'limit'>) {
  let query = db.selectFrom('orders');
  if (search.channel) query = query.where('channel', '=', search.channel);
  if (search.status?.length) query = query.where('status', 'in', search.status);
  if (search.paymentStatus?.length) query = query.where('payment_status', 'in', search.paymentStatus);
  if (search.externalOrderId) query = query.where('external_order_id', '=', search.externalOrderId);
  if (search.orderNumber) {
    query = search.orderNumber.endsWith('*')
      ? query.where('order_number', 'like', `${escapeLike(search.orderNumber.slice(0, -1))}%`)
      : query.where('order_number', '=', search.orderNumber);
  }
  if (search.q) query = query.where('id', 'in', textMatches(db, search.q));
  if (search.customerId) query = query.where('customer_id', '=', search.customerId);
  if (search.shippingStatus?.length) {
    const wanted = search.shippingStatus;
    query = query.where((eb) =>
      eb.or(
        wanted.map((status) => {
          const shipment = eb.selectFrom('order_shipments as s').whereRef('s.order_id', '=', 'orders.id');
          if (status === 'unshipped') return eb.not(eb.exists(shipment.select('s.order_id')));
          return eb.exists(
            shipment
              .select('s.order_id')
              .where('s.delivered_at', status === 'delivered' ? 'is not' : 'is', null),
          );
        }),
      ),
    );
  }
  if (search.from) query = query.where('created_at', '>=', search.from);
  if (search.to) query = query.where('created_at', '<', search.to);
  if (search.minTotal !== undefined) query = query.where('total', '>=', search.minTotal);
  if (search.maxTotal !== undefined) query = query.where('total', '<=', search.maxTotal);
  return query;
}

/** A LIKE pattern's literal part: `%`, `_` and the escape character match only themselves. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

/**
 * The ids of the orders a free-text `q` finds, one indexed lookup per kind of match, united: trigram indexes
 * serve the substring matches on order numbers and on customer names, a jsonb containment index the external
 * references, b-tree indexes the rest. One `or` across the tables would have Postgres filter every order.
 * A name and the text typed are both compared through the database's fold_for_search() (base letters for
 * accented ones, lower case; the letters are listed in its migration), the expression of the
 * `customers_name_unaccented_trgm` index.
 */
function textMatches(db: Executor, q: string) {
  const contains = `%${escapeLike(q)}%`;
  return db
    .selectFrom('orders')
    .select('id')
    .where('order_number', 'ilike', contains)
    .union(db.selectFrom('orders').select('id').where('external_order_id', '=', q))
    .union(
      db
        .selectFrom('orders')
        .select('id')
        // The expression of the `orders_external_refs` index: the references' values, whatever their keys.
        .where(sql<boolean>`jsonb_path_query_array(external_refs, '$.*') @> jsonb_build_array(${q}::text)`),
    )
    .union(
      customerOrders(db, (eb) =>
        eb(sql`fold_for_search(customers.name)`, 'like', sql<string>`fold_for_search(${contains})`),
      ),
    )
    .union(customerOrders(db, (eb) => eb(eb.fn('lower', ['customers.email']), '=', q.toLowerCase())))
    .union(customerOrders(db, (eb) => eb('customers.phone', '=', q)));
}

/** The ids of the orders of the customers a condition finds. */
function customerOrders(
  db: Executor,
  condition: (eb: ExpressionBuilder<Database, 'customers' | 'orders'>) => Expression<SqlBool>,
) {
  return db
    .selectFrom('customers')
    .innerJoin('orders', 'orders.customer_id', 'customers.id')
    .select('orders.id')
    .where(condition);
}

/** Filters with a `(column, created_at desc)` index: Postgres reads their matches already newest first. */
function hasOrderedIndex(search: Omit<OrderSearch, 'page' | 'limit'>): boolean {
  return Boolean(
    search.channel ||
      search.customerId ||
      search.from ||
      search.to ||
      search.status?.length === 1 ||
      search.paymentStatus?.length === 1,
  );
}

/**
 * The page of an admin search, newest first. When the filter has no index in created_at order (order-number
 * prefix, total range, several statuses) and matches few rows (`fewMatches`: the capped count stayed under
 * EXACT_TOTAL_LIMIT), the filter is evaluated first through its own index and only the matches are sorted:
 * the `offset 0` keeps Postgres from walking the created_at index backwards hoping to meet matches early,
 * which scans everything newer than the newest match (an order-number prefix of a day last year). With many
 * matches that walk is the fast plan, and Postgres is left to pick it.
 */
export function orderSearchPageQuery(db: Executor, search: OrderSearch, fewMatches = false) {
  const offset = (search.page - 1) * search.limit;
  if (fewMatches && !hasOrderedIndex(search)) {
    return db
      .selectFrom(orderSearchQuery(db, search).selectAll().offset(0).as('o'))
      .selectAll()
      .orderBy('o.created_at', 'desc')
      .orderBy('o.id', 'desc')
      .limit(search.limit)
      .offset(offset);
  }
  return orderSearchQuery(db, search)
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(search.limit)
    .offset(offset);
}

/**
 * Counts matches up to EXACT_TOTAL_LIMIT + 1 rows: cheap whatever the filter. A filter with an index in
 * created_at order counts along that index, newest first, as its page is read; otherwise Postgres may pick a
 * sequential scan that stops at the cap, as cheap for a common combination (channel + status + payment
 * status) but one that reads the whole table, not just the channel's rows, for a rare one.
 */
export function orderSearchCappedCountQuery(db: Executor, search: Omit<OrderSearch, 'page' | 'limit'>) {
  let matches = orderSearchQuery(db, search).select(sql`1`.as('one'));
  if (hasOrderedIndex(search)) matches = matches.orderBy('created_at', 'desc');
  return db
    .selectFrom(matches.limit(EXACT_TOTAL_LIMIT + 1).as('matches'))
    .select(sql<number>`count(*)::int`.as('total'));
}

/** The planner's row estimate for the filter (from EXPLAIN, nothing is read). */
async function estimateMatches(db: Executor, search: Omit<OrderSearch, 'page' | 'limit'>): Promise<number> {
  const plan = await orderSearchQuery(db, search).select(sql`1`.as('one')).explain('json');
  const root = (plan[0]?.['QUERY PLAN'] as { Plan?: { 'Plan Rows'?: number } }[] | undefined)?.[0];
  return Math.round(root?.Plan?.['Plan Rows'] ?? 0);
}

export async function searchOrders(
  db: Executor,
  search: OrderSearch,
): Promise<{ data: ListedOrderDto[]; total: number; totalIsEstimate: boolean }> {
  // The capped count first: it is cheap whatever the filter, and it decides the page's plan.
  const count = await orderSearchCappedCountQuery(db, search).executeTakeFirstOrThrow();
  const rows = await orderSearchPageQuery(db, search, count.total <= EXACT_TOTAL_LIMIT).execute();
  let total = count.total;
  let totalIsEstimate = false;
  if (total > EXACT_TOTAL_LIMIT) {
    // Never below what we know exists (more than the cap, and at least up to the end of this page).
    const known = Math.max(EXACT_TOTAL_LIMIT + 1, (search.page - 1) * search.limit + rows.length);
    total = Math.max(known, await estimateMatches(db, search));
    totalIsEstimate = true;
  }
  const orderIds = rows.map((r) => r.id);
  const customerIds = [...new Set(rows.map((r) => r.customer_id).filter((id): id is string => id !== null))];
  const [items, customers] = await Promise.all([
    orderIds.length ? firstItemsOfOrders(db, orderIds) : Promise.resolve([]),
    customerIds.length
      ? db.selectFrom('customers').selectAll().where('id', 'in', customerIds).execute()
      : Promise.resolve([]),
  ]);
  const customerById = new Map(customers.map((c) => [c.id, c]));
  const itemsByOrder = new Map<string, OrderItem[]>();
  const lineCounts = new Map<string, number>();
  for (const { rank: _, line_count, ...item } of items) {
    const list = itemsByOrder.get(item.order_id) ?? [];
    list.push(item);
    itemsByOrder.set(item.order_id, list);
    lineCounts.set(item.order_id, Number(line_count));
  }
  return {
    data: rows.map((o) => ({
      ...toOrderDto(
        o,
        o.customer_id ? customerById.get(o.customer_id) : undefined,
        itemsByOrder.get(o.id) ?? [],
      ),
      itemsPage: detailItemsPage(o.id, lineCounts.get(o.id) ?? 0, ORDER_LIST_ITEMS),
    })),
    total,
    totalIsEstimate,
  };
}

export async function getOrderDetail(db: Executor, id: string): Promise<OrderDetailDto | undefined> {
  const order = await db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
  if (!order) return undefined;
  const [customer, items, itemCount, timeline, history] = await Promise.all([
    order.customer_id
      ? db.selectFrom('customers').selectAll().where('id', '=', order.customer_id).executeTakeFirst()
      : Promise.resolve(undefined),
    orderItemsPage(db, id, ORDER_DETAIL_ITEMS, 0),
    countOrderItems(db, id),
    db.selectFrom('order_events').selectAll().where('order_id', '=', id).orderBy('id').execute(),
    db.selectFrom('order_channel_statuses').selectAll().where('order_id', '=', id).orderBy('id').execute(),
  ]);
  return {
    ...toOrderDto(order, customer, items),
    itemsPage: detailItemsPage(id, Number(itemCount.total)),
    timeline: timeline.map(toTimelineDto),
    channelStatusHistory: history.map(toChannelStatusDto),
  };
}
