/** A new Yemeksepeti order: its store's warehouse, its stock, and what goes with it in its transaction. */
import type { InboundEvent, Order } from '../../db/schema.js';
import {
  type CreateOrderRequest,
  createOrders,
  lineTotal,
  type OrderItemInput,
} from '../../orders/create.js';
import { findOrderByExternalId, getOrderForUpdate, type Trx } from '../../orders/locks.js';
import { findShortages, StockShortageError } from '../../orders/stock.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { advanceOrder } from '../../orders/transition.js';
import { DELIVERY_REQUESTED, deliveryLine, handedToDelivery } from '../delivery/index.js';
import { channelOrderInput } from '../kit/orders.js';
import { attention } from '../kit/results.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { ACTOR, patchYsAttributes, tellYemeksepeti, YS, type YsAttributes } from './attributes.js';
import {
  cartStatus,
  customerName,
  externalRefsOf,
  linesToStock,
  paymentSnapshot,
  removedByYemeksepeti,
  toOrderItem,
  withCartStatus,
  YS_CURRENCY,
  YS_SOURCE,
  YsItemError,
  type YsStatus,
} from './mapping.js';
import type { YsEventMeta, YsOrder } from './schema.js';
import { syncExisting } from './status.js';
import { resolveWarehouse, type WarehouseDecision } from './warehouse.js';

export async function createFlow(
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

  // Stock can change between the check and the reservation; a lost race re-decides (a few times). The items
  // Yemeksepeti sent as NOT_FOUND stay NOT_FOUND: only the others go through the stock check.
  for (let round = 0; ; round++) {
    const shortages = await findShortages(ctx.db, warehouse.code, linesToStock(lines));
    const items = withCartStatus(lines, new Set(shortages.map((s) => s.sku)));
    try {
      return await createWithItems(ctx, event, ys, warehouse, items, shortages);
    } catch (err) {
      if (err instanceof StockShortageError && round < 3) continue;
      throw err;
    }
  }
}

/** Everything a creation needs once the store, the items and the stock are known. */
export interface CreatePlan {
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
 * recorded and cancelled at once (CANCELLED, reason ITEM_UNAVAILABLE) and nothing goes to delivery. A
 * creation from READY_FOR_PICKUP is then marked ready (`processing`), in the same transaction.
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
  const [result] = await createOrders(ctx.db, { requests: [createRequest(plan)], existenceChecked: true });
  if (!result) throw new Error('createOrders returned no result');
  if (!result.created) return syncExisting(ctx, event, ys, ys.status as YsStatus, result.order.id);
  return createdOutcome(plan, result.order);
}

function deliverableOf(items: readonly OrderItemInput[]): OrderItemInput[] {
  return items.filter((i) => i.status === 'IN_CART');
}

/** The order, and what goes with it in its transaction, for one planned creation. */
export function createRequest(plan: CreatePlan): CreateOrderRequest {
  const { event, ys, warehouse, items, shortages, orderNumber } = plan;
  const payment = paymentSnapshot(ys);
  const deliverable = deliverableOf(items);
  const nothing = deliverable.length === 0;
  const subtotal = deliverable.reduce((sum, i) => sum + lineTotal(i), 0);
  const shipping = nothing ? 0 : payment.deliveryFee + payment.serviceFee;
  const discount = nothing ? 0 : Math.min(payment.discount, subtotal + shipping);
  const name = customerName(ys);
  const removed = items.filter(removedByYemeksepeti);
  const markReady = !nothing && ys.status === 'READY_FOR_PICKUP';
  const inTx = async (trx: Trx, created: Order): Promise<void> => {
    if (nothing) {
      await advanceOrder(trx, {
        order: created,
        to: 'cancelled',
        actor: ACTOR,
        reason: 'no item is in stock in the warehouse; cancelled at once',
        metadata: { shortages },
      });
      await tellYemeksepeti(trx, created, {
        status: 'CANCELLED',
        cancellation: { reason: 'ITEM_UNAVAILABLE' },
      });
      const fresh = await getOrderForUpdate(trx, created.id);
      await patchYsAttributes(trx, fresh, {
        bisuStatus: 'ORDER_CANCELLED',
        cancellation: { reason: 'ITEM_UNAVAILABLE', cancelledBy: 'us' },
      });
      return;
    }
    if (removed.length > 0) {
      await addTimelineEvent(trx, {
        orderId: created.id,
        type: 'note_added',
        actor: ACTOR,
        message: `${removed.length} item(s) Yemeksepeti sent as NOT_FOUND: not reserved, not delivered`,
        metadata: { skus: removed.map((i) => i.sku) },
      });
    }
    if (shortages.length > 0) {
      await addTimelineEvent(trx, {
        orderId: created.id,
        type: 'note_added',
        actor: ACTOR,
        message: `${shortages.length} item(s) out of stock marked NOT_FOUND; Yemeksepeti is told with UPDATE_CART`,
        metadata: { shortages },
      });
      await tellYemeksepeti(trx, created, {
        status: 'UPDATE_CART',
        items: items.map((i) => ({ _id: i.externalId ?? null, sku: i.sku, status: cartStatus(i.status) })),
      });
    }
    if (markReady) {
      await advanceOrder(trx, {
        order: created,
        to: 'processing',
        actor: ACTOR,
        reason: 'Yemeksepeti status READY_FOR_PICKUP',
        metadata: { eventId: event.id },
      });
    }
  };
  return {
    input: channelOrderInput(YS, event, {
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
        // Written with the delivery request below.
        ...(nothing ? {} : handedToDelivery()),
      },
    }),
    ...(orderNumber ? { orderNumber } : {}),
    // Only an order that lost lines (its cancellation, UPDATE_CART, the note) or is created ready needs more.
    ...(nothing || shortages.length > 0 || removed.length > 0 || markReady ? { inTx } : {}),
    // The delivery request, after the order's order.created (the core writes it) and the messages above.
    outbox: (created) =>
      nothing
        ? []
        : [
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
                items: deliverable.map(deliveryLine),
              },
            },
          ],
  };
}

export function createdOutcome(plan: CreatePlan, order: Order): HandlerResult {
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
