import { sql } from 'kysely';
import type { InboundEvent, Order } from '../../db/schema.js';
import { type Settled, settle } from '../../lib/coalesce.js';
import { AppError, errorMessage } from '../../lib/errors.js';
import { allocateOrderNumber } from '../../orders/order-number.js';
import { enqueueOutbox } from '../../orders/outbox.js';
import {
  advanceOrder,
  type CreateOrderRequest,
  channelStatusRecorded,
  commitOrderStock,
  createOrder,
  createOrders,
  findOrderByExternalId,
  findOrdersByExternalIds,
  flagAttention,
  getOrderForUpdate,
  lineTotal,
  type OrderItemInput,
  recordChannelStatus,
  refundOrder,
  type Trx,
  withOrderLock,
} from '../../orders/service.js';
import { isOrderStatus, transitionPath } from '../../orders/status.js';
import { availableAtStores, findShortages, StockShortageError, shortagesIn } from '../../orders/stock.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import {
  findWarehouseForStores,
  findWarehousesForStores,
  type ResolvedStore,
} from '../../orders/warehouses.js';
import { DELIVERY_REQUESTED } from '../delivery/index.js';
import { orderCreatedMessage } from '../subscribers/index.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import {
  bisuStatusAfter,
  customerName,
  externalRefsOf,
  flowFor,
  isNewer,
  paymentSnapshot,
  storeIdsOf,
  toOrderItem,
  YS_CURRENCY,
  YS_SOURCE,
  YS_TO_INTERNAL,
  type YsCategory,
  YsItemError,
  type YsStatus,
} from './mapping.js';
import { type YsEventMeta, type YsOrder, ysEventMetaSchema, ysOrderSchema } from './schema.js';

export const YS_UPDATE_TOPIC = 'yemeksepeti.order.update';
const ACTOR = 'channel:yemeksepeti';
/** A status for an order not created yet is retried this many times (its create may still be queued). */
const WAIT_FOR_CREATE_ATTEMPTS = 3;

/** What we keep about the Yemeksepeti side of an order, in `orders.attributes.yemeksepeti`. */
export interface YsAttributes {
  category?: YsCategory;
  bisuStatus?: string;
  dispatched?: boolean;
  dispatchedAt?: string;
  cancellation?: { reason: string | null; cancelledBy: string | null };
  refund?: { by: 'admin' | 'yemeksepeti'; amount: number; reason?: string; eventId?: string };
  payment?: ReturnType<typeof paymentSnapshot>;
  [key: string]: unknown;
}

export function ysAttributes(order: Order): YsAttributes {
  const value = order.attributes.yemeksepeti;
  return value !== null && typeof value === 'object' ? (value as YsAttributes) : {};
}

/** Merges `patch` into the order's Yemeksepeti attributes. */
export async function patchYsAttributes(
  trx: Trx,
  order: Order,
  patch: Partial<YsAttributes>,
): Promise<Order> {
  const attributes = { ...order.attributes, yemeksepeti: { ...ysAttributes(order), ...patch } };
  return trx
    .updateTable('orders')
    .set({ attributes, updated_at: sql`now()` })
    .where('id', '=', order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Dispatched by us or by Yemeksepeti: seed 003 forbids our refunds and cancellations from then on. */
export function isDispatched(order: Order): boolean {
  return (
    order.status === 'shipped' || order.status === 'delivered' || ysAttributes(order).dispatched === true
  );
}

/**
 * A second run of an event whose transaction committed (BullMQ is at-least-once): every path that changes an
 * existing order records the event's channel status in that transaction, so finding it means nothing is
 * left to do.
 */
function alreadyRecorded(status: string, orderId: string): HandlerResult {
  return { status: 'processed', orderId, outcome: `${status} already recorded for this event` };
}

function attention(outcome: string, orderId?: string): HandlerResult {
  return orderId ? { status: 'attention', outcome, orderId } : { status: 'attention', outcome };
}

/** The worker side of the webhook: routes the body by `status` (seed 003). Idempotent. */
export async function handleYemeksepetiEvent(
  ctx: WorkerContext,
  event: InboundEvent,
): Promise<HandlerResult> {
  const parsed = ysOrderSchema.safeParse(event.payload);
  if (!parsed.success) {
    return attention(
      `invalid Yemeksepeti order body: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const order = parsed.data;
  const meta = ysEventMetaSchema.parse(event.meta ?? {});
  switch (flowFor(order.status)) {
    case 'create':
      return createFlow(ctx, event, order, meta);
    case 'cancel':
      return cancelFlow(ctx, event, order, meta);
    case 'sync':
      return syncFlow(ctx, event, order, order.status as YsStatus, meta);
    default:
      return unknownStatus(ctx, event, order);
  }
}

type WarehouseDecision =
  | { ok: true; code: string; category: YsCategory; storeId: string }
  | { ok: false; reason: string };

async function resolveWarehouse(
  ctx: WorkerContext,
  order: YsOrder,
  category: YsCategory | undefined,
): Promise<WarehouseDecision> {
  const storeIds = storeIdsOf(order);
  if (storeIds.length === 0) return decideWarehouse(storeIds, undefined, category);
  return decideWarehouse(storeIds, await findWarehouseForStores(ctx.db, YS_SOURCE, storeIds), category);
}

/** Whether the order's store maps to a warehouse it may use (`resolved` = the store lookup's answer). */
function decideWarehouse(
  storeIds: readonly string[],
  resolved: ResolvedStore | undefined,
  category: YsCategory | undefined,
): WarehouseDecision {
  if (storeIds.length === 0) return { ok: false, reason: 'the order names no store (client.store_id)' };
  // Location checks are disabled for Yemeksepeti (seed 003): the mapped warehouse is used as is.
  if (!resolved) {
    return { ok: false, reason: `no warehouse is mapped to Yemeksepeti store ${storeIds.join(' / ')}` };
  }
  const { warehouse } = resolved;
  if (warehouse.category !== 'market' && warehouse.category !== 'su') {
    return {
      ok: false,
      reason: `warehouse ${warehouse.code} has category ${warehouse.category}, not market or su`,
    };
  }
  if (category !== undefined && warehouse.category !== category) {
    return {
      ok: false,
      reason: `store ${resolved.externalStoreId} maps to ${warehouse.category} warehouse ${warehouse.code}, but the order came with the ${category} token`,
    };
  }
  return { ok: true, code: warehouse.code, category: warehouse.category, storeId: resolved.externalStoreId };
}

// ---------------------------------------------------------------------------------------------------------
// Create

async function createFlow(
  ctx: WorkerContext,
  event: InboundEvent,
  ys: YsOrder,
  meta: YsEventMeta,
): Promise<HandlerResult> {
  const existing = await findOrderByExternalId(ctx.db, YS_SOURCE, ys.order_id);
  if (existing) {
    const result = await syncExisting(ctx, event, ys, ys.status as YsStatus, existing.id);
    return result;
  }
  const warehouse = await resolveWarehouse(ctx, ys, meta.category);
  if (!warehouse.ok) return attention(warehouse.reason);

  let lines: OrderItemInput[];
  try {
    lines = (ys.items ?? []).map((item, index) => toOrderItem(item, index));
  } catch (err) {
    if (err instanceof YsItemError) return attention(`order ${ys.order_id}: ${err.message}`);
    throw err;
  }

  // Stock can change between the check and the reservation; a lost race re-decides (a few times).
  for (let round = 0; ; round++) {
    const shortages = await findShortages(ctx.db, warehouse.code, lines);
    const short = new Set(shortages.map((s) => s.sku));
    const items = lines.map((line) => ({ ...line, status: short.has(line.sku) ? 'NOT_FOUND' : 'IN_CART' }));
    try {
      return await createWithItems(ctx, event, ys, warehouse, items, shortages);
    } catch (err) {
      if (err instanceof StockShortageError && round < 3) continue;
      throw err;
    }
  }
}

/** Everything a creation needs once the store, the items and the stock are known. */
interface CreatePlan {
  event: InboundEvent;
  ys: YsOrder;
  warehouse: Extract<WarehouseDecision, { ok: true }>;
  items: OrderItemInput[];
  shortages: { sku: string; requested: number; available: number }[];
  /** Allocated beside the batch's stock check. */
  orderNumber?: string;
}

/**
 * The stock rule: lines whose stock is short are marked NOT_FOUND and the rest is delivered (Yemeksepeti is
 * told with UPDATE_CART, it adjusts and refunds the customer); when no line can be delivered the order is
 * recorded and cancelled at once (CANCELLED, reason ITEM_UNAVAILABLE) and nothing goes to delivery.
 */
async function createWithItems(
  ctx: WorkerContext,
  event: InboundEvent,
  ys: YsOrder,
  warehouse: Extract<WarehouseDecision, { ok: true }>,
  items: OrderItemInput[],
  shortages: { sku: string; requested: number; available: number }[],
): Promise<HandlerResult> {
  const plan: CreatePlan = { event, ys, warehouse, items, shortages };
  // createFlow looked the order up just before deciding to create it.
  const [result] = await createOrders(ctx.db, [createRequest(plan)], { existenceChecked: true });
  if (!result) throw new Error('createOrders returned no result');
  if (!result.created) return syncExisting(ctx, event, ys, ys.status as YsStatus, result.order.id);
  return createdOutcome(plan, result.order);
}

function deliverableOf(items: readonly OrderItemInput[]): OrderItemInput[] {
  return items.filter((i) => i.status === 'IN_CART');
}

/** The order, and what goes with it in its transaction, for one planned creation. */
function createRequest(plan: CreatePlan): CreateOrderRequest {
  const { event, ys, warehouse, items, shortages, orderNumber } = plan;
  const payment = paymentSnapshot(ys);
  const deliverable = deliverableOf(items);
  const nothing = deliverable.length === 0;
  const subtotal = deliverable.reduce((sum, i) => sum + lineTotal(i), 0);
  const shipping = nothing ? 0 : payment.deliveryFee + payment.serviceFee;
  const discount = nothing ? 0 : Math.min(payment.discount, subtotal + shipping);
  const name = customerName(ys);
  const chainId = ys.client?.chain_id ?? null;
  const inTx = async (trx: Trx, created: Order): Promise<void> => {
    const tellYemeksepeti = (update: Record<string, unknown>) =>
      enqueueOutbox(trx, {
        orderId: created.id,
        topic: YS_UPDATE_TOPIC,
        payload: { chainId, orderId: ys.order_id, ...update },
      });
    if (nothing) {
      await advanceOrder(trx, created, 'cancelled', {
        actor: ACTOR,
        reason: 'no item is in stock in the warehouse; cancelled at once',
        metadata: { shortages },
      });
      await tellYemeksepeti({ status: 'CANCELLED', cancellation: { reason: 'ITEM_UNAVAILABLE' } });
      const fresh = await getOrderForUpdate(trx, created.id);
      await patchYsAttributes(trx, fresh, {
        bisuStatus: 'ORDER_CANCELLED',
        cancellation: { reason: 'ITEM_UNAVAILABLE', cancelledBy: 'us' },
      });
      return;
    }
    if (shortages.length > 0) {
      await addTimelineEvent(trx, {
        orderId: created.id,
        type: 'note_added',
        actor: ACTOR,
        message: `${items.length - deliverable.length} item(s) out of stock marked NOT_FOUND; Yemeksepeti is told with UPDATE_CART`,
        metadata: { shortages },
      });
      await tellYemeksepeti({
        status: 'UPDATE_CART',
        items: items.map((i) => ({ _id: i.externalId ?? null, sku: i.sku, status: i.status })),
      });
    }
  };
  return {
    input: {
      channel: YS_SOURCE,
      externalOrderId: ys.order_id,
      status: 'confirmed',
      channelStatus: ys.status,
      paymentStatus: 'paid',
      currency: YS_CURRENCY,
      customer: {
        externalId: ys.customer?._id ?? null,
        phone: ys.customer?.phone_number ?? null,
        ...(name ? { name } : {}),
      },
      items,
      totals: { subtotal, shipping, discount, tax: payment.totalTaxes },
      warehouseCode: warehouse.code,
      externalRefs: externalRefsOf(ys, warehouse.storeId),
      attributes: {
        yemeksepeti: {
          category: warehouse.category,
          bisuStatus: 'ORDER_CREATED',
          locationCheck: 'disabled',
          transportType: ys.transport_type ?? null,
          orderType: ys.order_type ?? null,
          isPreorder: ys.isPreorder ?? null,
          promisedFor: ys.promised_for ?? null,
          payment,
          ...(shortages.length ? { shortages } : {}),
        } satisfies YsAttributes,
      },
      actor: ACTOR,
      eventId: event.id,
    },
    ...(orderNumber ? { orderNumber } : {}),
    // Only an order that lost lines needs more than the creation (its cancellation or UPDATE_CART).
    ...(nothing || shortages.length > 0 ? { inTx } : {}),
    // The subscribers' order.created and the delivery request, in that order, after the messages above.
    outbox: (created) =>
      nothing
        ? []
        : [
            orderCreatedMessage(created),
            {
              orderId: created.id,
              topic: DELIVERY_REQUESTED,
              payload: {
                orderId: created.id,
                orderNumber: created.order_number,
                channel: YS_SOURCE,
                externalOrderId: ys.order_id,
                integrationOrderNumber: ys.external_order_id ?? null,
                orderCode: ys.order_code ?? null,
                warehouseCode: warehouse.code,
                category: warehouse.category,
                transportType: ys.transport_type ?? null,
                promisedFor: ys.promised_for ?? null,
                customer: { name: name ?? null, phone: ys.customer?.phone_number ?? null },
                deliveryAddress: ys.customer?.delivery_address ?? null,
                comment: ys.comment ?? null,
                items: deliverable.map((i) => ({
                  sku: i.sku,
                  name: i.name,
                  quantity: i.quantity,
                  pricingType: i.pricingType,
                })),
              },
            },
          ],
  };
}

function createdOutcome(plan: CreatePlan, order: Order): HandlerResult {
  const deliverable = deliverableOf(plan.items);
  if (deliverable.length === 0) {
    return {
      status: 'processed',
      orderId: order.id,
      outcome: `created ${order.order_number} and cancelled it: nothing in stock`,
    };
  }
  const removed = plan.items.length - deliverable.length;
  return {
    status: 'processed',
    orderId: order.id,
    outcome: `created ${order.order_number} in ${plan.warehouse.code}${removed ? ` with ${removed} item(s) NOT_FOUND` : ''}`,
  };
}

/**
 * The worker's batch: new orders whose store is mapped and whose every line is in stock are created together
 * in one transaction (`createOrders`); every other event, and every creation the batch could not take (an
 * existing order, a shortage, an item error, the batch failing as a whole), runs through
 * `handleYemeksepetiEvent` afterwards, exactly as it would alone.
 */
export async function handleYemeksepetiEvents(
  ctx: WorkerContext,
  events: readonly InboundEvent[],
): Promise<Settled<HandlerResult>[]> {
  const results: (Settled<HandlerResult> | undefined)[] = events.map(() => undefined);
  const planned = await planBatchCreates(ctx, events);
  if (planned.length > 1) {
    const created = await settle(
      createOrders(
        ctx.db,
        planned.map(({ plan }) => createRequest(plan)),
        { existenceChecked: true },
      ),
    );
    if (created.ok) {
      planned.forEach(({ index, plan }, n) => {
        const result = created.value[n];
        if (result?.created) results[index] = { ok: true, value: createdOutcome(plan, result.order) };
      });
    } else {
      ctx.logger.info(
        { err: errorMessage(created.error), orders: planned.length },
        'batch creation failed; creating the orders one by one',
      );
    }
  }
  await Promise.all(
    events.map(async (event, index) => {
      if (results[index]) return;
      const logger = ctx.logger.child({ eventId: event.id, externalOrderId: event.external_order_id });
      results[index] = await settle(handleYemeksepetiEvent({ ...ctx, logger }, event));
    }),
  );
  return results.map((r) => r ?? { ok: false, error: new Error('event left unhandled') });
}

/** The batch's creations that need nothing but the clean path: one statement per lookup for all of them. */
async function planBatchCreates(
  ctx: WorkerContext,
  events: readonly InboundEvent[],
): Promise<{ index: number; plan: CreatePlan }[]> {
  const candidates: { index: number; event: InboundEvent; ys: YsOrder; category: YsCategory | undefined }[] =
    [];
  const orderIds = new Set<string>();
  events.forEach((event, index) => {
    const parsed = ysOrderSchema.safeParse(event.payload);
    const meta = ysEventMetaSchema.safeParse(event.meta ?? {});
    if (!parsed.success || !meta.success || flowFor(parsed.data.status) !== 'create') return;
    // Two events of one order in a batch: the first may be created here, the second runs after it.
    if (orderIds.has(parsed.data.order_id)) return;
    orderIds.add(parsed.data.order_id);
    candidates.push({ index, event, ys: parsed.data, category: meta.data.category });
  });
  if (candidates.length < 2) return [];
  const withItems = candidates.flatMap((c) => {
    try {
      const items = (c.ys.items ?? []).map((item, line) => ({
        ...toOrderItem(item, line),
        status: 'IN_CART',
      }));
      return [{ ...c, items }];
    } catch (err) {
      if (err instanceof YsItemError) return [];
      throw err;
    }
  });
  if (withItems.length < 2) return [];
  // Independent lookups side by side, each on its own connection (a batch's wall time is its round trips):
  // existing orders, the stores' warehouses, the stock of every SKU in those warehouses, and the order
  // numbers (one that is not used, for an order that exists or is short, is a gap as with any sequence).
  const [found, stores, available, orderNumbers] = await Promise.all([
    findOrdersByExternalIds(
      ctx.db,
      withItems.map((c) => ({ channel: YS_SOURCE, externalOrderId: c.ys.order_id })),
    ),
    findWarehousesForStores(
      ctx.db,
      YS_SOURCE,
      withItems.map((c) => storeIdsOf(c.ys)),
    ),
    availableAtStores(
      ctx.db,
      YS_SOURCE,
      withItems.flatMap((c) => storeIdsOf(c.ys)),
      withItems.flatMap((c) => c.items.map((i) => i.sku)),
    ),
    Promise.all(withItems.map(() => allocateOrderNumber(ctx.db))),
  ]);
  const existing = new Set(found.map((o) => o.external_order_id));
  const ready = withItems.flatMap((c, n) => {
    if (existing.has(c.ys.order_id)) return [];
    const warehouse = decideWarehouse(storeIdsOf(c.ys), stores[n], c.category);
    const orderNumber = orderNumbers[n];
    return warehouse.ok && orderNumber ? [{ ...c, warehouse, orderNumber }] : [];
  });
  const shortages = shortagesIn(
    ready.map((r) => ({ warehouseCode: r.warehouse.code, lines: r.items })),
    available,
  );
  const planned = ready.flatMap((r, n) =>
    (shortages[n] ?? []).length > 0
      ? []
      : [
          {
            index: r.index,
            plan: {
              event: r.event,
              ys: r.ys,
              warehouse: r.warehouse,
              items: r.items,
              shortages: [],
              orderNumber: r.orderNumber,
            },
          },
        ],
  );
  return planned.length < 2 ? [] : planned;
}

// ---------------------------------------------------------------------------------------------------------
// Cancel

async function cancelFlow(
  ctx: WorkerContext,
  event: InboundEvent,
  ys: YsOrder,
  meta: YsEventMeta,
): Promise<HandlerResult> {
  const cancellation = {
    reason: ys.cancellation?.reason ?? null,
    cancelledBy: ys.cancellation?.cancelled_by ?? null,
  };
  let existing = await findOrderByExternalId(ctx.db, YS_SOURCE, ys.order_id);
  if (!existing) {
    // A cancellation for an order we never created: recorded as a cancelled order when the body is
    // complete enough (store and items), so customer service can find it; otherwise attention.
    const storeIds = storeIdsOf(ys);
    if (storeIds.length === 0 || !ys.items?.length) {
      return attention(
        `Yemeksepeti cancelled order ${ys.order_id}, which we never received, and the body is incomplete`,
      );
    }
    let lines: OrderItemInput[];
    try {
      lines = ys.items.map((item, index) => ({
        ...toOrderItem(item, index),
        status: 'IN_CART',
        reserve: false,
      }));
    } catch (err) {
      if (err instanceof YsItemError) return attention(`order ${ys.order_id}: ${err.message}`);
      throw err;
    }
    const warehouse = await resolveWarehouse(ctx, ys, meta.category);
    const payment = paymentSnapshot(ys);
    const result = await createOrder(ctx.db, {
      channel: YS_SOURCE,
      externalOrderId: ys.order_id,
      status: 'cancelled',
      channelStatus: 'CANCELLED',
      paymentStatus: 'paid',
      currency: YS_CURRENCY,
      customer: {
        externalId: ys.customer?._id ?? null,
        phone: ys.customer?.phone_number ?? null,
        name: customerName(ys) ?? null,
      },
      items: lines,
      totals: { shipping: payment.deliveryFee + payment.serviceFee, discount: 0, tax: payment.totalTaxes },
      warehouseCode: warehouse.ok ? warehouse.code : null,
      externalRefs: externalRefsOf(ys, warehouse.ok ? warehouse.storeId : undefined),
      attributes: {
        yemeksepeti: {
          ...(warehouse.ok ? { category: warehouse.category } : {}),
          bisuStatus: 'ORDER_CANCELLED',
          cancellation,
          payment,
          createdFromCancellation: true,
        } satisfies YsAttributes,
      },
      actor: ACTOR,
      eventId: event.id,
    });
    if (result.created) {
      return {
        status: 'processed',
        orderId: result.order.id,
        outcome: `recorded ${result.order.order_number} as cancelled: Yemeksepeti cancelled an order we never received${warehouse.ok ? '' : ` (${warehouse.reason})`}`,
      };
    }
    existing = result.order;
  }
  const orderId = existing.id;
  return withOrderLock(ctx.db, YS_SOURCE, ys.order_id, async (trx) => {
    if (await channelStatusRecorded(trx, orderId, event.id)) return alreadyRecorded('CANCELLED', orderId);
    let order = await getOrderForUpdate(trx, orderId);
    await noteStoreChange(ctx, trx, order, ys);
    const from = order.status;
    if (from === 'cancelled') {
      await recordChannelStatus(trx, order, 'CANCELLED', {
        applied: false,
        note: 'already cancelled',
        eventId: event.id,
      });
      return { status: 'processed', orderId, outcome: 'already cancelled' };
    }
    const path = isOrderStatus(from) ? transitionPath(from, 'cancelled') : undefined;
    if (!path) {
      await recordChannelStatus(trx, order, 'CANCELLED', {
        applied: false,
        note: `order is ${from}; a cancellation cannot apply`,
        eventId: event.id,
      });
      await flagAttention(trx, order, `Yemeksepeti cancelled the order after it was ${from}`, ACTOR);
      return attention(`Yemeksepeti cancelled order ${ys.order_id}, which is ${from}`, orderId);
    }
    // Yemeksepeti may cancel even a DISPATCHED order (seed 003); we may not.
    order = await advanceOrder(trx, order, 'cancelled', {
      actor: ACTOR,
      reason: `cancelled by Yemeksepeti${cancellation.cancelledBy ? ` (${cancellation.cancelledBy})` : ''}: ${cancellation.reason ?? 'no reason given'}`,
      metadata: { cancellation, eventId: event.id },
    });
    await recordChannelStatus(trx, order, 'CANCELLED', { applied: true, eventId: event.id });
    await patchYsAttributes(trx, order, { bisuStatus: 'ORDER_CANCELLED', cancellation });
    return { status: 'processed', orderId, outcome: `cancelled (was ${from})` };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Status sync

async function syncFlow(
  ctx: WorkerContext,
  event: InboundEvent,
  ys: YsOrder,
  status: YsStatus,
  meta: YsEventMeta,
): Promise<HandlerResult> {
  const existing = await findOrderByExternalId(ctx.db, YS_SOURCE, ys.order_id);
  if (!existing) {
    // Its create may still be queued behind it: retry a few times before asking a person.
    if (!meta.recovered && event.attempts + 1 < WAIT_FOR_CREATE_ATTEMPTS) {
      throw new AppError('not_found', `order ${ys.order_id} does not exist yet; retrying`, {
        retryable: true,
      });
    }
    return attention(`Yemeksepeti sent ${status} for order ${ys.order_id}, which we never received`);
  }
  return syncExisting(ctx, event, ys, status, existing.id);
}

async function syncExisting(
  ctx: WorkerContext,
  event: InboundEvent,
  ys: YsOrder,
  status: YsStatus,
  orderId: string,
): Promise<HandlerResult> {
  return withOrderLock(ctx.db, YS_SOURCE, ys.order_id, async (trx) => {
    if (await channelStatusRecorded(trx, orderId, event.id)) return alreadyRecorded(status, orderId);
    let order = await getOrderForUpdate(trx, orderId);
    await noteStoreChange(ctx, trx, order, ys);
    if (status === 'ORDER_RECONCILED') return reconcile(trx, event, ys, order);
    if (status === 'CANCELLED') throw new AppError('internal', 'cancellations go through the cancel flow');
    const target = YS_TO_INTERNAL[status];
    const from = order.status;
    const path = target && isOrderStatus(from) ? transitionPath(from, target) : undefined;
    if (!target || !isOrderStatus(from) || !path || !isNewer(from, target)) {
      await recordChannelStatus(trx, order, status, {
        applied: false,
        note: from === target ? `order is already ${from}` : `stale: order is ${from}`,
        eventId: event.id,
      });
      return { status: 'processed', orderId, outcome: `${status} recorded, not applied (order is ${from})` };
    }
    order = await advanceOrder(trx, order, target, {
      actor: ACTOR,
      reason: `Yemeksepeti status ${status}`,
      metadata: { eventId: event.id },
    });
    if (target === 'shipped' || target === 'delivered') await commitOrderStock(trx, order.id, ACTOR);
    await recordChannelStatus(trx, order, status, { applied: true, eventId: event.id });
    const attrs = ysAttributes(order);
    await patchYsAttributes(trx, order, {
      bisuStatus: bisuStatusAfter(status, attrs.bisuStatus),
      ...(status === 'DISPATCHED' || status === 'DELIVERED'
        ? { dispatched: true, dispatchedAt: attrs.dispatchedAt ?? new Date().toISOString() }
        : {}),
    });
    return { status: 'processed', orderId, outcome: `${from} → ${target} (${status})` };
  });
}

/**
 * ORDER_RECONCILED follows a partial refund on Yemeksepeti (seed 003). We record the refund — the
 * difference between the order total we were sent and the new one — unless the order's one refund was
 * already recorded; no other business rule runs and the status does not change.
 */
async function reconcile(trx: Trx, event: InboundEvent, ys: YsOrder, order: Order): Promise<HandlerResult> {
  const attrs = ysAttributes(order);
  const before = attrs.payment?.orderTotal ?? null;
  const after = paymentSnapshot(ys).orderTotal;
  const difference = before !== null && after !== null ? before - after : 0;
  let note = 'partial refund reconciled by Yemeksepeti';
  let current = order;
  if (attrs.refund) {
    note = `refund already recorded (${attrs.refund.amount} by ${attrs.refund.by}); not recorded again`;
  } else if (difference > 0 && order.refunded_total === 0) {
    const amount = Math.min(difference, order.total - order.refunded_total);
    if (amount > 0) {
      current = await refundOrder(trx, order, {
        amount,
        actor: ACTOR,
        reason: 'partial refund (Yemeksepeti ORDER_RECONCILED)',
        metadata: { eventId: event.id, orderTotalBefore: before, orderTotalAfter: after },
      });
      current = await patchYsAttributes(trx, current, {
        refund: { by: 'yemeksepeti', amount, eventId: event.id },
      });
    }
  } else {
    note = 'reconciled; no refund amount could be derived from the totals';
  }
  await recordChannelStatus(trx, current, 'ORDER_RECONCILED', { applied: true, note, eventId: event.id });
  await patchYsAttributes(trx, current, {
    bisuStatus: bisuStatusAfter('ORDER_RECONCILED', attrs.bisuStatus),
    reconciledAt: new Date().toISOString(),
  });
  return { status: 'processed', orderId: order.id, outcome: `ORDER_RECONCILED: ${note}` };
}

/** Seed 003: an order's warehouse never changes. A later body naming another store is noted, not applied. */
async function noteStoreChange(ctx: WorkerContext, trx: Trx, order: Order, ys: YsOrder): Promise<void> {
  const storeIds = storeIdsOf(ys);
  if (!order.warehouse_code || storeIds.length === 0) return;
  const resolved = await findWarehouseForStores(trx, YS_SOURCE, storeIds);
  if (resolved && resolved.warehouse.code !== order.warehouse_code) {
    await addTimelineEvent(trx, {
      orderId: order.id,
      type: 'note_added',
      actor: ACTOR,
      message: `Yemeksepeti store ${resolved.externalStoreId} now maps to warehouse ${resolved.warehouse.code}; the order stays in ${order.warehouse_code}`,
    });
    ctx.logger.info({ orderId: order.id }, 'store maps to another warehouse; order warehouse kept');
  }
}

async function unknownStatus(ctx: WorkerContext, event: InboundEvent, ys: YsOrder): Promise<HandlerResult> {
  const outcome = `unknown Yemeksepeti status ${ys.status}`;
  const existing = await findOrderByExternalId(ctx.db, YS_SOURCE, ys.order_id);
  if (!existing) return attention(outcome);
  try {
    await withOrderLock(ctx.db, YS_SOURCE, ys.order_id, async (trx) => {
      const order = await getOrderForUpdate(trx, existing.id);
      await recordChannelStatus(trx, order, ys.status, {
        applied: false,
        note: 'unknown status',
        eventId: event.id,
      });
      await flagAttention(trx, order, outcome, ACTOR);
    });
  } catch (err) {
    ctx.logger.warn({ err: errorMessage(err) }, 'could not record the unknown status on the order');
  }
  return attention(outcome, existing.id);
}
